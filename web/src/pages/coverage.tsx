// The officer's coverage dashboard (GET /v1/reports/coverage): coverage by
// group and by province as horizontal bars, the share of working people with
// a contribution by month as a small line chart, and the uncovered working
// people by reason. Officers get their region's figures, auditors and admins
// all. Inline SVG, no chart library; every chart has its figures in words too.
import { useState } from 'preact/hooks';
import { ApiError, call } from '../api';
import { lang, t, type Key } from '../i18n';
import { regionName } from '../regions';
import { useSignal } from '../state';
import { ErrorMessage, Scroll, useLoad } from '../ui';

interface Counts {
  population: number;
  covered: number;
  coverage: number;
}
interface Report {
  month: string;
  window_months: number;
  region: string | null;
  population: number;
  matched: number;
  covered: number;
  groups: (Counts & { group: string })[];
  provinces: (Counts & { province: number })[];
  reasons: Record<string, number>;
  trend: { month: string; coverage: number }[];
  computed_at: string;
}

const reasons = ['never_registered', 'no_contributions', 'moved_without_transfer', 'lapsed'];

function percent(share: number): string {
  return (share * 100).toFixed(1) + '%';
}

// Horizontal bars of shares in [0, 1], each labelled with its share and counts.
function Bars(props: { id: string; title: string; rows: { label: string; counts: Counts }[] }) {
  // Each row: the label on its own line, the bar under it, the figures to its right.
  const rowHeight = 42;
  const barMax = 230;
  const width = barMax + 130;
  const height = props.rows.length * rowHeight + 4;
  const words = (r: { label: string; counts: Counts }) =>
    t('coverage.bar', { label: r.label, share: percent(r.counts.coverage), covered: r.counts.covered, population: r.counts.population });
  return (
    <figure class="chart" id={props.id}>
      <figcaption>
        <h2>{props.title}</h2>
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label={props.title + ': ' + props.rows.map(words).join('; ')}>
        {props.rows.map((r, i) => {
          const y = i * rowHeight;
          const w = Math.max(0, Math.min(1, r.counts.coverage)) * barMax;
          return (
            <g key={r.label}>
              <text x="0" y={y + 14} font-size="13" fill="#1a1a1a">
                {r.label}
              </text>
              <rect x="0" y={y + 20} width={barMax} height="16" fill="#e6ebf0" />
              <rect x="0" y={y + 20} width={w} height="16" fill="#0b4f9c" />
              <text x={barMax + 8} y={y + 33} font-size="13" fill="#1a1a1a">
                {percent(r.counts.coverage)} ({r.counts.covered}/{r.counts.population})
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

// The trend as a line over 0..100 %.
function Trend(props: { trend: Report['trend'] }) {
  const points = props.trend;
  if (points.length === 0) return null;
  const width = 380;
  const height = 150;
  const left = 40;
  const bottom = height - 24;
  const step = points.length > 1 ? (width - left - 20) / (points.length - 1) : 0;
  const xy = points.map((p, i) => [left + i * step, bottom - Math.max(0, Math.min(1, p.coverage)) * (bottom - 10)]);
  const title = t('coverage.trend');
  const words = points.map((p) => `${p.month} ${percent(p.coverage)}`).join('; ');
  return (
    <figure class="chart" id="coverage-trend">
      <figcaption>
        <h2>{title}</h2>
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label={title + ': ' + words}>
        {[0, 0.5, 1].map((v) => (
          <g key={v}>
            <line x1={left} x2={width - 10} y1={bottom - v * (bottom - 10)} y2={bottom - v * (bottom - 10)} stroke="#d0d7de" />
            <text x={left - 6} y={bottom - v * (bottom - 10) + 4} text-anchor="end" font-size="11" fill="#333">
              {v * 100}%
            </text>
          </g>
        ))}
        <polyline points={xy.map(([x, y]) => `${x},${y}`).join(' ')} fill="none" stroke="#0b4f9c" stroke-width="2" />
        {xy.map(([x, y], i) => (
          <circle key={points[i].month} cx={x} cy={y} r="3" fill="#0b4f9c" />
        ))}
        {points.map((p, i) =>
          i === points.length - 1 || (i % 3 === 0 && i < points.length - 3) ? (
            <text key={p.month} x={xy[i][0]} y={height - 6} text-anchor={i === points.length - 1 ? 'end' : i === 0 ? 'start' : 'middle'} font-size="11" fill="#222">
              {p.month}
            </text>
          ) : null,
        )}
      </svg>
    </figure>
  );
}

export function Coverage() {
  useSignal(lang);
  const [month, setMonth] = useState('');
  const [win, setWin] = useState('3');
  const [query, setQuery] = useState('');
  const state = useLoad(() => call<Report>('/v1/reports/coverage' + query), [query]);
  const show = (e: Event) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (month.trim()) q.set('month', month.trim());
    q.set('window', win);
    setQuery('?' + q.toString());
  };
  const noExtract = state.error instanceof ApiError && state.error.status === 404 && !state.error.field;
  const r = state.data;
  return (
    <>
      <h1 tabIndex={-1}>{t('coverage.title')}</h1>
      {noExtract ? (
        <p class="notice" id="coverage-none">
          {t('coverage.noextract')}
        </p>
      ) : (
        <form class="card" onSubmit={show}>
          <label for="cov-month">{t('coverage.month')}</label>
          <input id="cov-month" inputMode="numeric" maxLength={7} placeholder={r?.month ?? ''} value={month} onInput={(e) => setMonth(e.currentTarget.value)} />
          <label for="cov-window">{t('coverage.window')}</label>
          <select id="cov-window" value={win} onChange={(e) => setWin(e.currentTarget.value)}>
            {['1', '3', '6', '12'].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
          <button type="submit">{t('coverage.show')}</button>
        </form>
      )}
      {state.error && !noExtract ? <ErrorMessage error={state.error} /> : null}
      {!state.error && !r && <p aria-live="polite">{t('loading')}</p>}
      {r && !state.error && (
        <section id="coverage" aria-live="polite">
          <p>
            {t('coverage.intro', {
              month: r.month,
              window: r.window_months,
              scope: r.region ? regionName(r.region) : t('coverage.all'),
            })}
          </p>
          <dl class="figures">
            <div>
              <dt>{t('coverage.population')}</dt>
              <dd id="coverage-population">{r.population}</dd>
            </div>
            <div>
              <dt>{t('coverage.covered')}</dt>
              <dd id="coverage-covered">{r.covered}</dd>
            </div>
            <div>
              <dt>{t('coverage.share')}</dt>
              <dd>{percent(r.population ? r.covered / r.population : 0)}</dd>
            </div>
            <div>
              <dt>{t('coverage.matched')}</dt>
              <dd>{r.matched}</dd>
            </div>
          </dl>
          <Bars
            id="coverage-groups"
            title={t('coverage.bygroup')}
            rows={r.groups.filter((g) => g.population > 0).map((g) => ({ label: t(('group.' + g.group) as Key), counts: g }))}
          />
          <Bars
            id="coverage-provinces"
            title={t('coverage.byprovince')}
            rows={r.provinces.map((p) => ({ label: regionName('CN-' + p.province), counts: p }))}
          />
          <Trend trend={r.trend} />
          <h2>{t('coverage.reasons')}</h2>
          <Scroll label={t('coverage.reasons')}>
            <table id="coverage-reasons">
              <thead>
                <tr>
                  <th scope="col">{t('coverage.reason')}</th>
                  <th scope="col">{t('coverage.count')}</th>
                </tr>
              </thead>
              <tbody>
                {reasons.map((k) => (
                  <tr key={k}>
                    <td>{t(('reason.' + k) as Key)}</td>
                    <td class="num">{r.reasons[k] ?? 0}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
          <p class="hint">{t('coverage.computed', { at: r.computed_at })}</p>
        </section>
      )}
    </>
  );
}
