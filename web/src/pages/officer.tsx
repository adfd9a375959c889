// The officer's pages: find a person by resident ID, name in characters or
// pinyin (GET /v1/persons?q=, one box; the officer's region only) and act for
// one of them at the counter (every call then carries X-Purpose, which the API records in the
// audit log as the purpose of the access); register a self-employed person as
// a flexible worker with the base they choose (POST /v1/persons, quote as the
// base changes). The review queue is pages/review.tsx, the coverage dashboard
// pages/coverage.tsx.
import { useState } from 'preact/hooks';
import { acting, call, session } from '../api';
import { lang, t } from '../i18n';
import { regionName } from '../regions';
import { useDraft, useSignal } from '../state';
import { ErrorMessage, navigate } from '../ui';
import { BaseInputs, QuoteView, useFlexibleQuote } from './person';

interface Person {
  resident_id: string;
  name: string;
  name_pinyin: string;
  hukou_region: string;
  sex?: string;
  birth_date?: string;
}
interface Found {
  persons: Person[];
  more: boolean;
}

export function Find() {
  useSignal(lang);
  const [id, setId] = useDraft('find.id', '');
  const [purpose, setPurpose] = useDraft('find.purpose', '');
  const [found, setFound] = useState<Found | null>(null);
  const [error, setError] = useState<unknown>(null);

  const find = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setFound(null);
    try {
      setFound(await call<Found>('/v1/persons?limit=20&q=' + encodeURIComponent(id.trim()), { purpose }));
    } catch (err) {
      setError(err);
    }
  };
  const actFor = (person: Person) => {
    acting.set({ resident_id: person.resident_id, name: person.name, purpose: purpose.trim() });
    navigate('/me');
  };

  return (
    <>
      <h1 tabIndex={-1}>{t('find.title')}</h1>
      <form class="card" onSubmit={find}>
        <label for="find-id">{t('find.query')}</label>
        <input
          id="find-id"
          type="search"
          autocomplete="off"
          required
          maxLength={40}
          aria-describedby="find-hint"
          value={id}
          onInput={(e) => setId(e.currentTarget.value)}
        />
        <p class="hint" id="find-hint">
          {t('find.byname')}
        </p>
        <label for="find-purpose">{t('find.purpose')}</label>
        <input id="find-purpose" maxLength={40} placeholder={t('find.purpose.default')} value={purpose} onInput={(e) => setPurpose(e.currentTarget.value)} />
        <button type="submit">{t('find.submit')}</button>
      </form>
      <ErrorMessage error={error} />
      <div aria-live="polite">
        {found && (
          <section class="card" id="found" aria-labelledby="found-title">
            <h2 id="found-title">{t('find.count', { n: found.persons.length })}</h2>
            {found.persons.length === 0 && <p>{t('find.none')}</p>}
            <ul class="entries">
              {found.persons.map((person) => (
                <li key={person.resident_id}>
                  <p id={'found-' + person.resident_id}>
                    <strong>{person.name_pinyin ? t('find.name', { name: person.name, pinyin: person.name_pinyin }) : person.name}</strong>
                    <br />
                    {t('find.result', {
                      id: person.resident_id,
                      birth: person.birth_date ?? '',
                      region: regionName(person.hukou_region),
                    })}
                  </p>
                  <button type="button" aria-describedby={'found-' + person.resident_id} onClick={() => actFor(person)}>
                    {t('find.act')}
                  </button>
                </li>
              ))}
            </ul>
            {found.more && <p class="hint">{t('find.more')}</p>}
          </section>
        )}
      </div>
    </>
  );
}

const emptyRegistration = {
  resident_id: '',
  name: '',
  name_pinyin: '',
  hukou_region: '',
  phone: '',
  retirement_category: 'male',
  scheme_region: '',
  wage: '8000',
  ratio: '0.60',
};

export function Register() {
  useSignal(lang);
  const [form, setForm] = useDraft('register', { ...emptyRegistration, hukou_region: session.get()?.region ?? '' });
  const [done, setDone] = useState<Person | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const { quote, error: quoteError } = useFlexibleQuote(form.wage, form.ratio);
  const field = (key: keyof typeof emptyRegistration) => (e: Event) =>
    setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement).value });

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const body: Record<string, string> = {
        resident_id: form.resident_id.trim().toUpperCase(),
        name: form.name.trim(),
        hukou_region: form.hukou_region.trim(),
        retirement_category: form.retirement_category,
        scheme: 'flexible',
        scheme_region: (form.scheme_region || form.hukou_region).trim(),
        flexible_base_ratio: Number(form.ratio).toFixed(2),
      };
      if (form.name_pinyin.trim()) body.name_pinyin = form.name_pinyin.trim();
      if (form.phone.trim()) body.phone = form.phone.trim();
      setDone(await call<Person>('/v1/persons', { method: 'POST', body }));
      setForm({ ...emptyRegistration, hukou_region: form.hukou_region });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>{t('register.title')}</h1>
      <p>{t('register.intro')}</p>
      <form class="card" onSubmit={submit}>
        <label for="reg-id">{t('find.id')}</label>
        <input id="reg-id" required maxLength={18} autocomplete="off" value={form.resident_id} onInput={field('resident_id')} />
        <label for="reg-name">{t('register.name')}</label>
        <input id="reg-name" required autocomplete="off" value={form.name} onInput={field('name')} />
        <label for="reg-pinyin">{t('register.pinyin')}</label>
        <input id="reg-pinyin" autocomplete="off" value={form.name_pinyin} onInput={field('name_pinyin')} />
        <label for="reg-hukou">{t('register.hukou')}</label>
        <input id="reg-hukou" required inputMode="numeric" maxLength={6} value={form.hukou_region} onInput={field('hukou_region')} />
        <label for="reg-scheme-region">{t('register.schemeregion')}</label>
        <input id="reg-scheme-region" inputMode="numeric" maxLength={6} placeholder={form.hukou_region} value={form.scheme_region} onInput={field('scheme_region')} />
        <label for="reg-phone">{t('register.phone')}</label>
        <input id="reg-phone" type="tel" autocomplete="off" value={form.phone} onInput={field('phone')} />
        <label for="reg-category">{t('register.category')}</label>
        <select id="reg-category" value={form.retirement_category} onChange={field('retirement_category')}>
          <option value="male">{t('register.male')}</option>
          <option value="female_55">{t('register.female_55')}</option>
          <option value="female_50">{t('register.female_50')}</option>
        </select>
        <BaseInputs
          wage={form.wage}
          ratio={form.ratio}
          setWage={(wage) => setForm({ ...form, wage })}
          setRatio={(ratio) => setForm({ ...form, ratio })}
        />
        <QuoteView quote={quote} error={quoteError} traceLevel={2} />
        <button type="submit" disabled={busy}>
          {t('register.submit')}
        </button>
      </form>
      <ErrorMessage error={error} />
      {done && (
        <p class="ok" role="status" id="registered">
          {t('register.done', { name: done.name, id: done.resident_id })}
        </p>
      )}
    </>
  );
}
