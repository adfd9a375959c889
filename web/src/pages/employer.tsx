// The employer agent's pages: upload a monthly declaration (a CSV file, or
// its text corrected in place), read the per-line feedback, fix and submit
// again (the last upload's feedback is fetched again after a reload); the
// unpaid months with their totals and the late fees booked.
import { useEffect, useState } from 'preact/hooks';
import { call, session } from '../api';
import { lang, t } from '../i18n';
import { useDraft, useSignal } from '../state';
import { ErrorMessage, Loaded, Scroll, useLoad, zhCodes } from '../ui';

interface UploadDoc {
  upload_id: number;
  accepted: number;
  rejected: number;
  feedback: string;
}
interface FeedbackRow {
  line: number;
  status: string;
  field: string;
  code: string;
  message: string;
}

// The feedback file of docs/formats.md: line,status,field,code,message (the
// message may be quoted).
export function parseFeedback(text: string): FeedbackRow[] {
  const rows: FeedbackRow[] = [];
  for (const line of text.split(/\r?\n/).slice(1)) {
    if (!line.trim()) continue;
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') {
          cell += '"';
          i++;
        } else if (c === '"') quoted = false;
        else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') {
        cells.push(cell);
        cell = '';
      } else cell += c;
    }
    cells.push(cell);
    rows.push({ line: Number(cells[0]), status: cells[1], field: cells[2] ?? '', code: cells[3] ?? '', message: cells[4] ?? '' });
  }
  return rows;
}

function problemText(row: FeedbackRow): string {
  if (lang.get() === 'zh' && zhCodes[row.code]) return `${zhCodes[row.code]}（${row.code}）`;
  return row.message || row.code;
}

export function Declaration() {
  useSignal(lang);
  const code = session.get()?.employer ?? '';
  const employer = useLoad(() => call<{ name: string; credit_code: string }>('/v1/employers/' + code), [code]);
  const [text, setText] = useDraft('declaration.text', '');
  const [result, setResult] = useState<UploadDoc | null>(null);
  // The last upload's feedback is read again after a reload or a new sign-in.
  const [lastUpload, setLastUpload] = useDraft('declaration.upload', 0);
  useEffect(() => {
    if (!lastUpload || result) return;
    call<UploadDoc>(`/v1/employers/${code}/uploads/${lastUpload}`).then(setResult, () => setLastUpload(0));
  }, [lastUpload]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const lines = text.split(/\r?\n/);

  const pick = async (e: Event) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (file) setText(await file.text());
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const doc = await call<UploadDoc>(`/v1/employers/${code}/declarations`, { method: 'POST', csv: text });
      setResult(doc);
      setLastUpload(doc.upload_id);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const rejected = result ? parseFeedback(result.feedback).filter((r) => r.status !== 'accepted') : [];

  return (
    <>
      <h1 tabIndex={-1}>{t('decl.title')}</h1>
      <Loaded state={employer}>{(e) => <p>{t('decl.employer', { name: e.name, code: e.credit_code })}</p>}</Loaded>
      <form class="card" onSubmit={submit}>
        <label for="decl-file">{t('decl.file')}</label>
        <input id="decl-file" type="file" accept=".csv,text/csv" onChange={pick} />
        <label for="decl-text">{t('decl.text')}</label>
        <textarea id="decl-text" rows={8} spellcheck={false} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <button type="submit" disabled={busy || !text.trim()}>
          {busy ? t('decl.busy') : t('decl.submit')}
        </button>
      </form>
      <ErrorMessage error={error} />
      {result && (
        <section aria-live="polite" id="feedback">
          <p class={result.rejected ? 'error' : 'ok'} role="status">
            {t('decl.summary', { accepted: result.accepted, rejected: result.rejected })}{' '}
            {rejected.length ? t('decl.errors', { n: rejected.length }) : t('decl.allok')}
          </p>
          {rejected.length > 0 && (
            <Scroll label={t('decl.problem')}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('decl.linecol')}</th>
                    <th scope="col">{t('decl.field')}</th>
                    <th scope="col">{t('decl.problem')}</th>
                  </tr>
                </thead>
                <tbody>
                  {rejected.map((r) => (
                    <tr key={r.line}>
                      <td>{t('decl.line', { line: r.line })}</td>
                      <td>{r.field}</td>
                      <td>
                        {problemText(r)}
                        <br />
                        <code>{lines[r.line - 1] ?? ''}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Scroll>
          )}
        </section>
      )}
    </>
  );
}

interface ArrearsDoc {
  credit_code: string;
  name: string;
  up_to: string;
  months: { month: string; dues: string; paid: string; arrears: string }[];
  unpaid_months: number;
  dues: string;
  paid: string;
  arrears: string;
  late_fees: string;
}

// The employer's unpaid months (GET /v1/employers/{code}/arrears): totals,
// then the months as a table with a total line.
export function Arrears() {
  useSignal(lang);
  const code = session.get()?.employer ?? '';
  const state = useLoad(() => call<ArrearsDoc>(`/v1/employers/${code}/arrears`), [code]);
  return (
    <>
      <h1 tabIndex={-1}>{t('arrears.title')}</h1>
      <Loaded state={state}>
        {(a) => (
          <section id="arrears">
            <p>{t('decl.employer', { name: a.name, code: a.credit_code })}</p>
            <p>{t('arrears.intro', { month: a.up_to })}</p>
            <dl class="figures">
              <div>
                <dt>{t('arrears.total')}</dt>
                <dd id="arrears-total">{a.arrears}</dd>
              </div>
              <div>
                <dt>{t('arrears.months')}</dt>
                <dd>{a.unpaid_months}</dd>
              </div>
              <div>
                <dt>{t('arrears.latefees')}</dt>
                <dd id="arrears-latefees">{a.late_fees}</dd>
              </div>
            </dl>
            {a.months.length === 0 ? (
              <p class="ok" role="status">
                {t('arrears.none')}
              </p>
            ) : (
              <Scroll label={t('arrears.table')}>
                <table>
                  <caption class="hint">{t('arrears.table')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t('arrears.month')}</th>
                      <th scope="col">{t('arrears.dues')}</th>
                      <th scope="col">{t('arrears.paid')}</th>
                      <th scope="col">{t('arrears.arrears')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {a.months.map((m) => (
                      <tr key={m.month}>
                        <td>{m.month}</td>
                        <td class="num">{m.dues}</td>
                        <td class="num">{m.paid}</td>
                        <td class="num">{m.arrears}</td>
                      </tr>
                    ))}
                  </tbody>
                  <tfoot>
                    <tr>
                      <th scope="row">{t('arrears.sum')}</th>
                      <td class="num">{a.dues}</td>
                      <td class="num">{a.paid}</td>
                      <td class="num">{a.arrears}</td>
                    </tr>
                  </tfoot>
                </table>
              </Scroll>
            )}
          </section>
        )}
      </Loaded>
    </>
  );
}
