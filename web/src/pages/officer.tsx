// The officer's pages: find a person by resident ID and act for them at the
// counter (every call then carries X-Purpose, which the API records in the
// audit log as the purpose of the access); placeholders for the review queue
// and the coverage dashboard, which the API does not offer yet.
import { useState } from 'preact/hooks';
import { acting, call } from '../api';
import { lang, t, type Key } from '../i18n';
import { regionName } from '../regions';
import { useDraft, useSignal } from '../state';
import { ErrorMessage, navigate } from '../ui';

interface Person {
  resident_id: string;
  name: string;
  name_pinyin: string;
  hukou_region: string;
}

export function Find() {
  useSignal(lang);
  const [id, setId] = useDraft('find.id', '');
  const [purpose, setPurpose] = useDraft('find.purpose', '');
  const [person, setPerson] = useState<Person | null>(null);
  const [error, setError] = useState<unknown>(null);

  const find = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setPerson(null);
    try {
      setPerson(await call<Person>('/v1/persons/' + encodeURIComponent(id.trim().toUpperCase()), { purpose }));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>{t('find.title')}</h1>
      <form class="card" onSubmit={find}>
        <label for="find-id">{t('find.id')}</label>
        <input id="find-id" autocomplete="off" required maxLength={18} value={id} onInput={(e) => setId(e.currentTarget.value)} />
        <label for="find-purpose">{t('find.purpose')}</label>
        <input id="find-purpose" maxLength={40} placeholder={t('find.purpose.default')} value={purpose} onInput={(e) => setPurpose(e.currentTarget.value)} />
        <button type="submit">{t('find.submit')}</button>
      </form>
      <p class="hint">{t('find.byname')}</p>
      <ErrorMessage error={error} />
      {person && (
        <section class="card" aria-live="polite" id="found">
          <p>{t('find.result', { name: person.name, pinyin: person.name_pinyin, region: regionName(person.hukou_region) })}</p>
          <button
            type="button"
            onClick={() => {
              acting.set({ resident_id: person.resident_id, name: person.name, purpose: purpose.trim() });
              navigate('/me');
            }}
          >
            {t('find.act')}
          </button>
        </section>
      )}
    </>
  );
}

export function Placeholder(props: { title: Key; text: Key }) {
  useSignal(lang);
  return (
    <>
      <h1 tabIndex={-1}>{t(props.title)}</h1>
      <p class="notice">{t(props.text)}</p>
    </>
  );
}
