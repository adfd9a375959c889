// The insured person's pages (also shown to an officer acting for a person at
// the counter): home, contribution record with a chart by year, account,
// retirement date and pension estimate with their traces, flexible-worker
// quote, transfers, statement PDF download, and who accessed the record.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, money, newIdempotencyKey, readablePurpose, subject } from '../api';
import { lang, t } from '../i18n';
import { provinceList, regionName } from '../regions';
import { useDraft, useSignal } from '../state';
import { ErrorMessage, Link, Loaded, Scroll, Trace, useLoad, type TraceStep } from '../ui';

interface Person {
  resident_id: string;
  name: string;
  name_pinyin: string;
  hukou_region: string;
  scheme?: string;
  scheme_region?: string;
  flexible_base_ratio?: string | null;
}
interface MonthRow {
  month: string;
  kind: string;
  employer: string;
  employer_name: string;
  region: string;
  declared_wage_fen: number;
  personal_fen: number;
  pooled_fen: number;
}
interface Contributions {
  months: MonthRow[];
  month_count: number;
  personal_fen: number;
  pooled_fen: number;
}
interface AccountDoc {
  balance_fen: number;
  postings: { entry_id: number; kind: string; month: string; amount_fen: number }[];
}
interface RetirementDoc {
  result: { retirement_month: string; age_years: number; age_remainder_months: number };
  trace: TraceStep[];
}
interface TransferDoc {
  account_fen?: number;
  pooled_fen?: number;
  counted_months?: number;
  transfer_id: number;
  from: string;
  to: string;
  requested_on: string;
  status: string;
  reason?: string;
}

const base = () => '/v1/persons/' + subject();

function Title(props: { k: Parameters<typeof t>[0] }) {
  return <h1 tabIndex={-1}>{t(props.k)}</h1>;
}

export function Home() {
  useSignal(lang);
  const state = useLoad(
    () =>
      Promise.all([
        call<Person>(base()),
        call<AccountDoc>(base() + '/account?limit=1'),
        call<Contributions>(base() + '/contributions'),
        call<RetirementDoc>(base() + '/retirement'),
      ]),
    [subject()],
  );
  return (
    <>
      <Title k="home.title" />
      <Loaded state={state}>
        {([person, account, record, retirement]) => (
          <>
            <p class="lead">{t('home.greeting', { name: person.name })}</p>
            <dl class="figures">
              <div>
                <dt>{t('home.balance')}</dt>
                <dd>
                  {money(account.balance_fen)} {t('yuan')}
                </dd>
              </div>
              <div>
                <dt>{t('home.months')}</dt>
                <dd>{t('months', { n: record.month_count })}</dd>
              </div>
              <div>
                <dt>{t('home.retirement')}</dt>
                <dd>{retirement.result.retirement_month}</dd>
              </div>
            </dl>
            <YearChart months={record.months} />
            <ul class="tiles">
              {(
                [
                  ['/me/record', 'nav.record'],
                  ['/me/account', 'nav.account'],
                  ['/me/retirement', 'nav.retirement'],
                  ['/me/flexible', 'nav.flexible'],
                  ['/me/transfers', 'nav.transfers'],
                  ['/me/statement', 'nav.statement'],
                  ['/me/access', 'nav.access'],
                ] as const
              ).map(([href, key]) => (
                <li key={href}>
                  <Link href={href}>{t(key)}</Link>
                </li>
              ))}
            </ul>
          </>
        )}
      </Loaded>
    </>
  );
}

const palette = ['#1f5fa8', '#b3541e', '#2e7d32', '#6a1b9a', '#00838f', '#8d6e00', '#ad1457', '#455a64'];

function employerLabel(m: MonthRow): string {
  return m.employer ? m.employer_name || m.employer : t('record.flexible');
}

// Months contributed per year as stacked bars, one colour per employer; the
// same figures follow as a table for screen readers and small screens.
function YearChart(props: { months: MonthRow[] }) {
  if (props.months.length === 0) return <p>{t('record.empty')}</p>;
  const employers: string[] = [];
  const regionsOf = new Map<string, Set<string>>();
  const years = new Map<string, Map<string, number>>();
  for (const m of props.months) {
    const who = employerLabel(m);
    if (!employers.includes(who)) employers.push(who);
    regionsOf.set(who, (regionsOf.get(who) ?? new Set<string>()).add(regionName(m.region)));
    const year = m.month.slice(0, 4);
    const row = years.get(year) ?? new Map<string, number>();
    row.set(who, (row.get(who) ?? 0) + 1);
    years.set(year, row);
  }
  const sorted = [...years.keys()].sort();
  const barWidth = 36;
  const gap = 16;
  const height = 120;
  const width = Math.max(200, sorted.length * (barWidth + gap) + 40);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height + 30}`} role="img" aria-label={t('record.chart')} width="100%" style={{ maxWidth: width + 'px' }}>
        <line x1="30" y1={height} x2={width} y2={height} stroke="#555" />
        {[0, 6, 12].map((n) => (
          <g key={n}>
            <text x="24" y={height - (n / 12) * (height - 10) + 4} text-anchor="end" font-size="11" fill="#333">
              {n}
            </text>
          </g>
        ))}
        {sorted.map((year, i) => {
          let y = height;
          const x = 40 + i * (barWidth + gap);
          return (
            <g key={year}>
              {employers.map((who, e) => {
                const n = years.get(year)!.get(who) ?? 0;
                if (!n) return null;
                const h = (n / 12) * (height - 10);
                y -= h;
                return <rect key={who} x={x} y={y} width={barWidth} height={h} fill={palette[e % palette.length]} />;
              })}
              <text x={x + barWidth / 2} y={height + 16} text-anchor="middle" font-size="12" fill="#222">
                {year}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul class="legend">
          {employers.map((who, e) => (
            <li key={who}>
              <span class="swatch" style={{ background: palette[e % palette.length] }} aria-hidden="true" />
              {who} · {[...(regionsOf.get(who) ?? [])].join(', ')}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}

export function Record() {
  useSignal(lang);
  const state = useLoad(() => call<Contributions>(base() + '/contributions'), [subject()]);
  return (
    <>
      <Title k="record.title" />
      <Loaded state={state}>
        {(doc) => {
          const rows = new Map<string, { year: string; employer: string; region: string; months: number; personal: number; pooled: number }>();
          for (const m of doc.months) {
            const key = `${m.month.slice(0, 4)}|${employerLabel(m)}|${m.region}`;
            const row = rows.get(key) ?? { year: m.month.slice(0, 4), employer: employerLabel(m), region: m.region, months: 0, personal: 0, pooled: 0 };
            row.months += 1;
            row.personal += m.personal_fen;
            row.pooled += m.pooled_fen;
            rows.set(key, row);
          }
          return (
            <>
              <p>
                {t('record.total', {
                  months: t('months', { n: doc.month_count }),
                  personal: money(doc.personal_fen),
                  pooled: money(doc.pooled_fen),
                })}
              </p>
              <YearChart months={doc.months} />
              {rows.size > 0 && (
                <Scroll label={t('record.title')}>
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">{t('record.year')}</th>
                        <th scope="col">{t('record.employer')}</th>
                        <th scope="col">{t('record.region')}</th>
                        <th scope="col">{t('record.monthcount')}</th>
                        <th scope="col">{t('record.personal')}</th>
                        <th scope="col">{t('record.pooled')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {[...rows.values()].map((r) => (
                        <tr key={r.year + r.employer + r.region}>
                          <td>{r.year}</td>
                          <td>{r.employer}</td>
                          <td>{regionName(r.region)}</td>
                          <td class="num">{r.months}</td>
                          <td class="num">{money(r.personal)}</td>
                          <td class="num">{money(r.pooled)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </Scroll>
              )}
            </>
          );
        }}
      </Loaded>
    </>
  );
}

export function Account() {
  useSignal(lang);
  const state = useLoad(() => call<AccountDoc>(base() + '/account?limit=50'), [subject()]);
  return (
    <>
      <Title k="account.title" />
      <Loaded state={state}>
        {(doc) => (
          <>
            <p class="big">
              {t('account.balance')}: {money(doc.balance_fen)} {t('yuan')}
            </p>
            <h2>{t('account.postings')}</h2>
            {doc.postings.length === 0 ? (
              <p>{t('account.none')}</p>
            ) : (
              <Scroll label={t('account.postings')}>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t('account.month')}</th>
                      <th scope="col">{t('account.kind')}</th>
                      <th scope="col">{t('account.amount')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {doc.postings.map((p) => (
                      <tr key={p.entry_id}>
                        <td>{p.month}</td>
                        <td>{p.kind.replace(/_/g, ' ')}</td>
                        <td class="num">{money(p.amount_fen)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Scroll>
            )}
          </>
        )}
      </Loaded>
    </>
  );
}

function monthsBetween(from: string, to: string): number {
  const [fy, fm] = from.split('-').map(Number);
  const [ty, tm] = to.split('-').map(Number);
  return Math.max(0, (ty - fy) * 12 + (tm - fm));
}

export function Retirement() {
  useSignal(lang);
  const [option, setOption] = useDraft('retirement.option', 'statutory');
  const state = useLoad(
    () =>
      Promise.all([
        call<RetirementDoc>(`${base()}/retirement?option=${option}`),
        call<Contributions>(base() + '/contributions'),
        call<AccountDoc>(base() + '/account?limit=1'),
      ]),
    [subject(), option],
  );
  return (
    <>
      <Title k="retirement.title" />
      <label for="option">{t('retirement.option')}</label>
      <select id="option" value={option} onChange={(e) => setOption(e.currentTarget.value)}>
        <option value="statutory">{t('retirement.statutory')}</option>
        <option value="earliest">{t('retirement.earliest')}</option>
        <option value="latest">{t('retirement.latest')}</option>
      </select>
      <Loaded state={state}>
        {([retirement, record, account]) => (
          <>
            <p class="big" id="retirement-month">
              {t('retirement.month', {
                month: retirement.result.retirement_month,
                years: retirement.result.age_years,
                months: retirement.result.age_remainder_months,
              })}
            </p>
            <Trace trace={retirement.trace} title={t('retirement.why')} level={2} />
            <Pension retirement={retirement} record={record} account={account} />
          </>
        )}
      </Loaded>
    </>
  );
}

function Pension(props: { retirement: RetirementDoc; record: Contributions; account: AccountDoc }) {
  const { retirement, record, account } = props;
  const [wage, setWage] = useDraft('pension.wage', '8000');
  const [keepOn, setKeepOn] = useDraft('pension.continue', true);
  const [result, setResult] = useState<{ result: Record<string, string>; trace: TraceStep[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const now = new Date().toISOString().slice(0, 7);
  const lastMonth = record.months.length ? record.months[record.months.length - 1].month : now;
  const months = record.month_count + (keepOn ? monthsBetween(lastMonth, retirement.result.retirement_month) : 0);
  const wageNumber = Number(wage);
  const averageWage = record.months.length ? record.months.reduce((s, m) => s + m.declared_wage_fen, 0) / record.months.length / 100 : 0;
  const index = wageNumber > 0 && averageWage > 0 ? Math.min(3, Math.max(0.6, averageWage / wageNumber)) : 1;

  const estimate = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      setResult(
        await call('/v1/calculations/pension', {
          method: 'POST',
          body: {
            retirement_month: retirement.result.retirement_month,
            average_wage: wageNumber.toFixed(2),
            average_contribution_index: index.toFixed(4),
            contribution_months: months,
            account_balance: (account.balance_fen / 100).toFixed(2),
            retirement_age: { years: retirement.result.age_years, months: retirement.result.age_remainder_months },
          },
        }),
      );
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section class="card" aria-labelledby="pension-title">
      <h2 id="pension-title">{t('pension.title')}</h2>
      <p class="hint">{t('pension.note')}</p>
      <form onSubmit={estimate}>
        <label for="wage">{t('pension.wage')}</label>
        <input id="wage" inputMode="decimal" value={wage} onInput={(e) => setWage(e.currentTarget.value)} />
        <p>
          {t('pension.index')}: {index.toFixed(4)} · {t('pension.months')}: {months}
        </p>
        <label class="check">
          <input type="checkbox" checked={keepOn} onChange={(e) => setKeepOn(e.currentTarget.checked)} /> {t('pension.continue')}
        </label>
        <button type="submit">{t('pension.submit')}</button>
      </form>
      <ErrorMessage error={error} />
      {result && (
        <div aria-live="polite">
          <p class="big" id="pension-total">
            {t('pension.total', { total: result.result.total_pension ?? '' })}
          </p>
          <p>
            {t('pension.basic', { amount: result.result.basic_pension ?? '' })} · {t('pension.account', { amount: result.result.account_pension ?? '' })}
          </p>
          <Trace trace={result.trace} title={t('retirement.why')} />
        </div>
      )}
    </section>
  );
}

interface Quote {
  result: Record<string, string>;
  trace: TraceStep[];
}

// The flexible worker's monthly payment for a wage and a base ratio, asked of
// the calculations endpoint 200 ms after the last change (older answers are
// dropped).
export function useFlexibleQuote(wage: string, ratio: string): { quote: Quote | null; error: unknown } {
  const [quote, setQuote] = useState<Quote | null>(null);
  const [error, setError] = useState<unknown>(null);
  const sequence = useRef(0);
  useEffect(() => {
    const mine = ++sequence.current;
    const timer = setTimeout(async () => {
      try {
        const doc = await call<Quote>('/v1/calculations/flexible', {
          method: 'POST',
          body: {
            contribution_month: new Date().toISOString().slice(0, 7),
            local_average_monthly_wage: Number(wage).toFixed(2),
            base_ratio: Number(ratio).toFixed(2),
          },
        });
        if (mine === sequence.current) {
          setQuote(doc);
          setError(null);
        }
      } catch (err) {
        if (mine === sequence.current) setError(err);
      }
    }, 200);
    return () => clearTimeout(timer);
  }, [wage, ratio]);
  return { quote, error };
}

// The base inputs (average wage, ratio slider) of a flexible worker.
export function BaseInputs(props: { wage: string; ratio: string; setWage: (v: string) => void; setRatio: (v: string) => void }) {
  return (
    <>
      <label for="flex-wage">{t('flex.wage')}</label>
      <input id="flex-wage" inputMode="decimal" value={props.wage} onInput={(e) => props.setWage(e.currentTarget.value)} />
      <label for="flex-ratio">{t('flex.ratio')}</label>
      <div class="range">
        <input
          id="flex-ratio"
          type="range"
          min="0.6"
          max="3"
          step="0.05"
          value={props.ratio}
          aria-valuetext={`${Math.round(Number(props.ratio) * 100)}%`}
          onInput={(e) => props.setRatio(e.currentTarget.value)}
        />
        <output for="flex-ratio">{Math.round(Number(props.ratio) * 100)}%</output>
      </div>
    </>
  );
}

export function QuoteView(props: { quote: Quote | null; error: unknown; traceLevel: 2 | 3 }) {
  return (
    <>
      <ErrorMessage error={props.error} />
      {props.quote && (
        <div aria-live="polite" class="quote">
          <p>{t('flex.base', { amount: props.quote.result.contribution_base })}</p>
          <p class="big" id="flex-total">
            {t('flex.total', { amount: props.quote.result.total_contribution })}
          </p>
          <p>{t('flex.accountpart', { amount: props.quote.result.account_credit })}</p>
          <p>{t('flex.pooledpart', { amount: props.quote.result.pooled_fund_part })}</p>
          <Trace trace={props.quote.trace} title={t('retirement.why')} level={props.traceLevel} />
        </div>
      )}
    </>
  );
}

// The quote, and the person's own registration as a flexible worker with the
// base chosen here and the region where they work (POST
// …/flexible-enrolment with an Idempotency-Key kept in the draft, so a retry
// after a lost answer registers once); a flexible worker sees the registration.
export function Flexible() {
  useSignal(lang);
  const [wage, setWage] = useDraft('flex.wage', '8000');
  const [ratio, setRatio] = useDraft('flex.ratio', '0.60');
  const [region, setRegion] = useDraft('flex.region', '');
  const [key, setKey] = useDraft('flex.key', '');
  const { quote, error } = useFlexibleQuote(wage, ratio);
  const person = useLoad(() => call<Person>(base()), [subject()]);
  const [enrolled, setEnrolled] = useState<Person | null>(null);
  const [enrolError, setEnrolError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const record = enrolled ?? person.data;
  const registered = record?.scheme === 'flexible';

  const enrol = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setEnrolError(null);
    const idempotencyKey = key || newIdempotencyKey();
    if (!key) setKey(idempotencyKey);
    try {
      const done = await call<Person>(base() + '/flexible-enrolment', {
        method: 'POST',
        body: { scheme_region: region.trim(), flexible_base_ratio: Number(ratio).toFixed(2) },
        idempotencyKey,
      });
      setEnrolled(done);
      setKey('');
    } catch (err) {
      setEnrolError(err);
      // A refusal is final for this request: the next attempt is a new one;
      // after a network error the retry is the same request.
      if (!(err instanceof ApiError && err.status === 0)) setKey('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Title k="flex.title" />
      <p>{t(registered ? 'flex.intro.registered' : 'flex.intro')}</p>
      {record && registered && (
        <section class="card" id="flex-registration" aria-labelledby="flex-registration-title">
          <h2 id="flex-registration-title">{t('flex.registered.title')}</h2>
          <p role="status">
            {t('flex.registered', {
              region: regionName(record.scheme_region ?? ''),
              ratio: Math.round(Number(record.flexible_base_ratio ?? '0') * 100),
            })}
          </p>
        </section>
      )}
      <form class="card" onSubmit={registered || !record ? (e) => e.preventDefault() : enrol}>
        <BaseInputs wage={wage} ratio={ratio} setWage={setWage} setRatio={setRatio} />
        {record && !registered && (
          <>
            <label for="flex-region">{t('flex.region')}</label>
            <input
              id="flex-region"
              required
              inputMode="numeric"
              pattern="[0-9]{6}"
              maxLength={6}
              autocomplete="off"
              aria-describedby="flex-region-hint"
              value={region}
              onInput={(e) => setRegion(e.currentTarget.value)}
            />
            <p class="hint" id="flex-region-hint">
              {t('flex.region.hint')}
            </p>
            <button type="submit" id="flex-enrol" disabled={busy}>
              {t('flex.enrol', { ratio: Math.round(Number(ratio) * 100) })}
            </button>
          </>
        )}
      </form>
      <ErrorMessage error={enrolError} />
      <QuoteView quote={quote} error={error} traceLevel={2} />
    </>
  );
}

export function Transfers() {
  useSignal(lang);
  const [form, setForm] = useDraft('transfer', { from: 'CN-44', to: 'CN-51' });
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const state = useLoad(() => call<{ transfers: TransferDoc[] }>(base() + '/transfers'), [subject()]);
  const provinces = provinceList();

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await call(base() + '/transfers', { method: 'POST', body: form });
      setDone(true);
      state.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Title k="transfers.title" />
      <p>{t('transfers.intro')}</p>
      <form class="card" onSubmit={submit}>
        <label for="from">{t('transfers.from')}</label>
        <select id="from" value={form.from} onChange={(e) => setForm({ ...form, from: e.currentTarget.value })}>
          {provinces.map((p) => (
            <option key={p.code} value={p.code}>
              {p.name}
            </option>
          ))}
        </select>
        <label for="to">{t('transfers.to')}</label>
        <select id="to" value={form.to} onChange={(e) => setForm({ ...form, to: e.currentTarget.value })}>
          {provinces.map((p) => (
            <option key={p.code} value={p.code}>
              {p.name}
            </option>
          ))}
        </select>
        <button type="submit" disabled={busy}>
          {t('transfers.submit')}
        </button>
      </form>
      <ErrorMessage error={error} />
      {done && (
        <p class="ok" role="status">
          {t('transfers.done')}
        </p>
      )}
      <h2>{t('transfers.list')}</h2>
      <button type="button" onClick={state.reload}>
        {t('transfers.refresh')}
      </button>
      <Loaded state={state}>
        {(doc) =>
          doc.transfers.length === 0 ? (
            <p>{t('transfers.none')}</p>
          ) : (
            <>
            <Scroll label={t('transfers.list')}>
              <table id="transfer-list">
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">{t('transfers.from')}</th>
                    <th scope="col">{t('transfers.to')}</th>
                    <th scope="col">{t('transfers.requested_on')}</th>
                    <th scope="col">{t('transfers.status')}</th>
                  </tr>
                </thead>
                <tbody>
                  {doc.transfers.map((x) => (
                    <tr key={x.transfer_id}>
                      <td>{x.transfer_id}</td>
                      <td>{regionName(x.from)}</td>
                      <td>{regionName(x.to)}</td>
                      <td>{x.requested_on}</td>
                      <td>
                        {t(('status.' + x.status) as 'status.requested')}
                        {x.reason ? ` (${x.reason})` : ''}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Scroll>
            <TransferSteps transfer={doc.transfers[doc.transfers.length - 1]} />
            </>
          )
        }
      </Loaded>
    </>
  );
}

const transferSteps = ['requested', 'computed', 'sent', 'credited'];

// Where the latest transfer stands, step by step.
function TransferSteps(props: { transfer: TransferDoc }) {
  const x = props.transfer;
  const at = transferSteps.indexOf(x.status);
  return (
    <section class="card" aria-labelledby="steps-title">
      <h3 id="steps-title">
        #{x.transfer_id} {regionName(x.from)} → {regionName(x.to)}
      </h3>
      {x.status === 'refused' ? (
        <p class="error">
          {t('status.refused')}
          {x.reason ? `: ${x.reason}` : ''}
        </p>
      ) : (
        <ol class="steps">
          {transferSteps.map((step, i) => (
            <li key={step} class={i <= at ? 'done' : ''} aria-current={i === at ? 'step' : undefined}>
              {t(('status.' + step) as 'status.requested')}
            </li>
          ))}
        </ol>
      )}
      {at >= 1 && (
        <p>
          {t('transfers.amounts', { account: money(x.account_fen ?? 0), pooled: money(x.pooled_fen ?? 0), months: x.counted_months ?? 0 })}
        </p>
      )}
    </section>
  );
}

// The statement PDF is fetched with the session token (a plain link could not
// carry it) and handed to the browser as a download.
export function Statement() {
  const current = useSignal(lang);
  const [pdfLang, setPdfLang] = useDraft<string>('statement.lang', current);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState('');

  const download = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved('');
    try {
      const pdf = await call<Blob>(`${base()}/statement?lang=${pdfLang}`, { blob: true });
      const name = `shebao-statement-${subject()}-${pdfLang}.pdf`;
      const href = URL.createObjectURL(pdf);
      const a = document.createElement('a');
      a.href = href;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(href), 60000);
      setSaved(t('statement.saved', { name, kb: Math.max(1, Math.round(pdf.size / 1024)) }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Title k="statement.title" />
      <p>{t('statement.intro')}</p>
      <form class="card" onSubmit={download}>
        <label for="statement-lang">{t('statement.lang')}</label>
        <select id="statement-lang" value={pdfLang} onChange={(e) => setPdfLang(e.currentTarget.value)}>
          <option value="zh">中文</option>
          <option value="en">English</option>
        </select>
        <button type="submit" disabled={busy}>
          {busy ? t('loading') : t('statement.download')}
        </button>
      </form>
      <ErrorMessage error={error} />
      {saved && (
        <p class="ok" role="status">
          {saved}
        </p>
      )}
    </>
  );
}

const actionWords: Record<string, [string, string]> = {
  'person.read': ['查看个人信息', 'read the personal record'],
  'person.update_contact': ['修改联系方式', 'changed the contact details'],
  'contributions.read': ['查看缴费记录', 'read the contribution record'],
  'account.read': ['查看个人账户', 'read the personal account'],
  'employment.read': ['查看就业记录', 'read the employment record'],
  'retirement.read': ['查看退休年月', 'read the retirement date'],
  'transfer.read': ['查看转移申请', 'read the transfer requests'],
  'transfer.request': ['申请转移', 'requested a transfer'],
  'access_log.read': ['查看查询记录', 'read this access log'],
  'statement.read': ['查看权益单', 'read the statement'],
};

function actionText(action: string): string {
  const words = actionWords[action];
  return words ? words[lang.get() === 'en' ? 1 : 0] : action.replace(/_/g, ' ');
}

export function AccessLog() {
  useSignal(lang);
  const state = useLoad(
    () => call<{ accesses: { at: string; who: string; role: string; action: string; purpose: string }[] }>(base() + '/access-log?limit=100'),
    [subject()],
  );
  return (
    <>
      <Title k="access.title" />
      <Loaded state={state}>
        {(doc) =>
          doc.accesses.length === 0 ? (
            <p>{t('access.none')}</p>
          ) : (
            <ol class="entries" id="access-list">
              {doc.accesses.map((a, i) => (
                <li key={i}>
                  <p>
                    <strong>{a.who}</strong> ({t(('role.' + a.role) as 'role.person')}) — {actionText(a.action)}
                  </p>
                  <p class="hint">
                    <span class="label">{t('access.at')}:</span> {a.at.slice(0, 19).replace('T', ' ')} UTC ·{' '}
                    <span class="label">{t('access.purpose')}:</span> {readablePurpose(a.purpose)}
                  </p>
                </li>
              ))}
            </ol>
          )
        }
      </Loaded>
    </>
  );
}
