// Shared pieces of the portal's pages: navigation links, error messages in
// the person's language, loading of API data, and the readable text of a
// rules trace (never JSON).
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';
import { lang, t } from './i18n';
import { signal } from './state';

export const path = signal<string>(location.pathname + location.search);

export function navigate(to: string, replace = false) {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  path.set(to);
}
addEventListener('popstate', () => path.set(location.pathname + location.search));

export function Link(props: { href: string; children: ComponentChildren; current?: boolean }) {
  return (
    <a
      href={props.href}
      aria-current={props.current ? 'page' : undefined}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

// Chinese wording of the error codes a declaration line or a form most often
// gets; other codes show the service's own (English) message.
export const zhCodes: Record<string, string> = {
  unknown_person: '该身份号码未登记参保',
  unknown_employer: '单位未登记',
  not_employed: '该人员不在本单位就业',
  duplicate_line: '与前面的行重复',
  future_month: '申报月份在未来',
  split_declaration: '同一人同一月份的申报被拆分',
  missing_column: '缺少列',
  bad_check_character: '身份号码校验位错误',
  bad_length: '长度不正确',
  bad_character: '含有不允许的字符',
  bad_birth_date: '出生日期不正确',
  invalid_input: '格式不正确',
  out_of_range: '数值超出范围',
  conflict: '与已有记录冲突',
  unknown_category: '不是可选的值',
};

export function errorText(error: unknown): string {
  if (!(error instanceof ApiError)) return t('err.server');
  if (error.status === 0) return t('err.network');
  if (error.status === 401) return t('err.expired');
  if (error.status === 403) return t('err.forbidden');
  if (error.status === 404) return t('err.notfound');
  const zh = lang.get() === 'zh' && zhCodes[error.code];
  const detail = (error.field ? error.field + ': ' : '') + (zh ? `${zhCodes[error.code]}（${error.detail}）` : error.detail);
  if (error.status === 409) return t('err.conflict', { detail });
  if (error.status === 429) return t('err.rate');
  if (error.status >= 500) return t('err.server');
  return t('err.invalid', { detail });
}

export function ErrorMessage(props: { error: unknown }) {
  if (!props.error) return null;
  return (
    <p class="error" role="alert">
      {errorText(props.error)}
    </p>
  );
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data?: T; error?: unknown; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: unknown }>({});
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ data: s.data }));
    load().then(
      (data) => live && setState({ data }),
      (error) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return { ...state, reload: () => setRound((n) => n + 1) };
}

export function Loaded<T>(props: { state: { data?: T; error?: unknown; reload: () => void }; children: (data: T) => ComponentChildren }) {
  const { data, error, reload } = props.state;
  if (error) {
    return (
      <div>
        <ErrorMessage error={error} />
        <button type="button" onClick={reload}>
          {t('retry')}
        </button>
      </div>
    );
  }
  if (data === undefined) return <p aria-live="polite">{t('loading')}</p>;
  return <>{props.children(data)}</>;
}

export interface TraceStep {
  step: string;
  rule: string;
  formula: string;
  inputs: Record<string, unknown>;
  parameters: { key: string; value: string; source: string; rule: string }[];
  output: string;
}

function plain(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} = ${typeof v === 'object' ? JSON.stringify(v).replace(/[{}"]/g, '') : String(v)}`)
    .join('; ');
}

// The trace as numbered steps in words: rule, formula, inputs, parameters with
// their legal sources, result.
export function Trace(props: { trace: TraceStep[]; title: string; level?: 2 | 3 }) {
  const Heading = props.level === 2 ? 'h2' : 'h3';
  return (
    <div class="trace">
      <Heading>{props.title}</Heading>
      <ol>
        {props.trace.map((s, i) => (
          <li key={i}>
            <p>
              <strong>{t('trace.step', { n: i + 1, step: s.step.replace(/_/g, ' ') })}</strong> — {t('trace.rule', { rule: s.rule })}
            </p>
            {s.formula && <p>{t('trace.formula', { formula: s.formula })}</p>}
            {Object.keys(s.inputs ?? {}).length > 0 && <p>{t('trace.inputs', { inputs: plain(s.inputs) })}</p>}
            {(s.parameters ?? []).length > 0 && (
              <ul>
                {s.parameters.map((p) => (
                  <li key={p.key}>{t('trace.param', { key: p.key, value: p.value, source: p.source.split(',')[0] })}</li>
                ))}
              </ul>
            )}
            <p>{t('trace.output', { output: s.output })}</p>
          </li>
        ))}
      </ol>
    </div>
  );
}

// A table that may be wider than the screen: scrolls sideways, and is
// focusable so that keyboard users can scroll it too.
export function Scroll(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="scroll" tabIndex={0} role="region" aria-label={props.label}>
      {props.children}
    </div>
  );
}
