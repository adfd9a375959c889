// The officer's review queue of suspected duplicate person records
// (GET /v1/review/pairs, docs/api.md "Review queue"): the pairs of the own
// region (all for auditors and administrators), one pair side by side with
// each field marked as agreeing, similar, different or missing (in words, not
// colour alone), and the decisions — merge (choose the record that stays),
// dismiss, undo — each with a reason, sent with an idempotency key so that a
// retry after a network error has no second effect.
import { useState } from 'preact/hooks';
import { call } from '../api';
import { lang, t, type Key } from '../i18n';
import { regionName } from '../regions';
import { useSignal } from '../state';
import { ErrorMessage, Link, Loaded, Scroll, navigate, path, useLoad } from '../ui';

type Agreement = 'exact' | 'similar' | 'different' | 'missing';

interface Side {
  resident_id: string;
  name?: string | null;
  registered?: boolean;
  name_pinyin?: string;
  sex?: string;
  birth_date?: string;
  phone?: string;
  hukou_region?: string;
  scheme?: string;
  scheme_region?: string;
  merged_into?: string | null;
  absorbed?: string[];
}

interface Pair {
  pair_id: number;
  person_a: string;
  person_b: string;
  probability: number;
  weight: number;
  evidence: Record<string, Agreement>;
  source: string;
  found_at: string;
  status: 'open' | 'merged' | 'dismissed';
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
  a: Side;
  b: Side;
}

const statuses = ['open', 'merged', 'dismissed', 'all'] as const;
const fields: { key: keyof Side; evidence?: string; label: Key }[] = [
  { key: 'name', evidence: 'name', label: 'review.f.name' },
  { key: 'name_pinyin', label: 'review.f.pinyin' },
  { key: 'sex', evidence: 'sex', label: 'review.f.sex' },
  { key: 'birth_date', evidence: 'birth_date', label: 'review.f.birth' },
  { key: 'resident_id', evidence: 'resident_id', label: 'review.f.id' },
  { key: 'phone', evidence: 'phone', label: 'review.f.phone' },
  { key: 'hukou_region', label: 'review.f.hukou' },
];

function percent(p: number): string {
  return (p * 100).toFixed(p >= 0.995 && p < 1 ? 1 : 0) + '%';
}

function newKey(): string {
  return 'review-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 10);
}

export function Review() {
  useSignal(lang);
  const where = useSignal(path);
  const id = new URLSearchParams(where.split('?')[1] ?? '').get('pair');
  return id ? <PairView id={id} /> : <Queue />;
}

function Queue() {
  const [status, setStatus] = useState<(typeof statuses)[number]>('open');
  const state = useLoad(() => call<{ pairs: Pair[] }>('/v1/review/pairs?status=' + status + '&limit=100'), [status]);
  return (
    <>
      <h1 tabIndex={-1}>{t('review.title')}</h1>
      <p>{t('review.intro')}</p>
      <label for="review-status">{t('review.status')}</label>
      <select id="review-status" value={status} onChange={(e) => setStatus(e.currentTarget.value as (typeof statuses)[number])}>
        {statuses.map((s) => (
          <option key={s} value={s}>
            {t(('review.s.' + s) as Key)}
          </option>
        ))}
      </select>
      <Loaded state={state}>
        {(data) =>
          data.pairs.length === 0 ? (
            <p class="notice">{t('review.empty')}</p>
          ) : (
            <ul class="entries" id="review-queue">
              {data.pairs.map((p) => (
                <li key={p.pair_id}>
                  <p>
                    <Link href={'/officer/review?pair=' + p.pair_id}>
                      {t('review.pairlink', { a: p.a.name ?? p.a.resident_id, b: p.b.name ?? p.b.resident_id })}
                    </Link>
                  </p>
                  <p class="hint">
                    {t('review.summary', {
                      p: percent(p.probability),
                      status: t(('review.s.' + p.status) as Key),
                      source: t(('review.src.' + p.source) as Key),
                    })}
                  </p>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </>
  );
}

function value(side: Side, key: keyof Side): string {
  const v = side[key];
  if (v === undefined || v === null || v === '') return '—';
  if (key === 'sex') return t(v === 'male' ? 'review.male' : 'review.female');
  if (key === 'hukou_region') return regionName(String(v));
  return String(v);
}

function mergeState(side: Side): string {
  if (side.merged_into) return t('review.mergedinto', { id: side.merged_into });
  if ((side.absorbed ?? []).length) return t('review.absorbs', { ids: (side.absorbed ?? []).join(', ') });
  return '—';
}

function PairView(props: { id: string }) {
  const [round, setRound] = useState(0);
  const state = useLoad(() => call<Pair>('/v1/review/pairs/' + encodeURIComponent(props.id)), [props.id, round]);
  return (
    <>
      <p>
        <Link href="/officer/review">{t('review.back')}</Link>
      </p>
      <h1 tabIndex={-1}>{t('review.pair.title', { id: props.id })}</h1>
      <Loaded state={state}>{(pair) => <PairDetail pair={pair} changed={() => setRound((n) => n + 1)} />}</Loaded>
    </>
  );
}

function PairDetail(props: { pair: Pair; changed: () => void }) {
  const { pair } = props;
  const [survivor, setSurvivor] = useState(pair.person_a);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  const [key, setKey] = useState(newKey);

  const decide = async (action: 'merge' | 'dismiss' | 'undo') => {
    setBusy(true);
    setError(null);
    setDone('');
    try {
      const body: Record<string, string> = { reason: reason.trim() };
      if (action === 'merge') body.survivor = survivor;
      await call<Pair>(`/v1/review/pairs/${pair.pair_id}/${action}`, { method: 'POST', body, idempotencyKey: key + '-' + action });
      setKey(newKey());
      setReason('');
      setDone(t(('review.done.' + action) as Key));
      props.changed();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const submit = (action: 'merge' | 'dismiss' | 'undo') => (e: Event) => {
    e.preventDefault();
    void decide(action);
  };

  return (
    <>
      <p>
        {t('review.summary', {
          p: percent(pair.probability),
          status: t(('review.s.' + pair.status) as Key),
          source: t(('review.src.' + pair.source) as Key),
        })}
      </p>
      {pair.status !== 'open' && (
        <p class="notice" id="review-decision">
          {t('review.decided', { status: t(('review.s.' + pair.status) as Key), by: pair.decided_by ?? '', at: (pair.decided_at ?? '').slice(0, 16).replace('T', ' '), reason: pair.reason ?? '' })}
        </p>
      )}
      <Scroll label={t('review.compare')}>
        <table id="review-compare" class="compare">
          <caption>{t('review.compare')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('review.field')}</th>
              <th scope="col">{t('review.recordA')}</th>
              <th scope="col">{t('review.recordB')}</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f) => {
              const agreement = f.evidence ? pair.evidence[f.evidence] : undefined;
              return (
                <tr key={f.key} class={agreement ? 'agree-' + agreement : undefined}>
                  <th scope="row">
                    {t(f.label)}
                    {agreement && (
                      <>
                        <br />
                        <span class={'tag tag-' + agreement}>{t(('review.ag.' + agreement) as Key)}</span>
                      </>
                    )}
                  </th>
                  <td>{value(pair.a, f.key)}</td>
                  <td>{value(pair.b, f.key)}</td>
                </tr>
              );
            })}
            <tr>
              <th scope="row">{t('review.f.merge')}</th>
              <td>{mergeState(pair.a)}</td>
              <td>{mergeState(pair.b)}</td>
            </tr>
          </tbody>
        </table>
      </Scroll>
      {pair.status === 'open' ? (
        <form class="card" onSubmit={submit('merge')}>
          <fieldset>
            <legend>{t('review.survivor')}</legend>
            {[pair.a, pair.b].map((side, i) => (
              <label class="check" key={side.resident_id}>
                <input type="radio" name="survivor" value={side.resident_id} checked={survivor === side.resident_id} onChange={() => setSurvivor(side.resident_id)} />{' '}
                {t(i === 0 ? 'review.keepA' : 'review.keepB', { name: side.name ?? '', id: side.resident_id })}
              </label>
            ))}
          </fieldset>
          <label for="review-reason">{t('review.reason')}</label>
          <input id="review-reason" required maxLength={500} autocomplete="off" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          <div class="actions">
            <button type="submit" disabled={busy}>
              {t('review.merge')}
            </button>{' '}
            <button type="button" class="secondary" disabled={busy || !reason.trim()} onClick={() => void decide('dismiss')}>
              {t('review.dismiss')}
            </button>
          </div>
        </form>
      ) : (
        <form class="card" onSubmit={submit('undo')}>
          <label for="review-reason">{t('review.reason')}</label>
          <input id="review-reason" required maxLength={500} autocomplete="off" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          <button type="submit" disabled={busy}>
            {t(pair.status === 'merged' ? 'review.undo.merge' : 'review.undo.dismiss')}
          </button>
        </form>
      )}
      <ErrorMessage error={error} />
      {done && (
        <p class="ok" role="status" id="review-done">
          {done}
        </p>
      )}
      <p>
        <button type="button" class="link" onClick={() => navigate('/officer/review')}>
          {t('review.back')}
        </button>
      </p>
    </>
  );
}
