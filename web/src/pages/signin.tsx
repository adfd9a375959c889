// Sign-in: the login is kept (useDraft) across a wrong password, an expired
// session or a network error; the password is never stored.
import { useState } from 'preact/hooks';
import { ApiError, signIn, signInReason } from '../api';
import { t } from '../i18n';
import { useDraft, useSignal } from '../state';
import { ErrorMessage } from '../ui';

export function SignIn() {
  const reason = useSignal(signInReason);
  const [login, setLogin] = useDraft('signin.login', '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(login, password);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const message =
    error instanceof ApiError && error.status === 401 ? (
      <p class="error" role="alert">
        {t('err.login')}
      </p>
    ) : error instanceof ApiError && error.status === 429 ? (
      <p class="error" role="alert">
        {t('err.locked')}
      </p>
    ) : (
      <ErrorMessage error={error} />
    );

  return (
    <>
      <h1 tabIndex={-1}>{t('signin.title')}</h1>
      {reason === 'expired' && !error && (
        <p class="error" role="alert">
          {t('err.expired')}
        </p>
      )}
      {message}
      <form onSubmit={submit} class="card">
        <label for="login">{t('signin.login')}</label>
        <input id="login" name="login" autocomplete="username" required value={login} onInput={(e) => setLogin(e.currentTarget.value)} />
        <label for="password">{t('signin.password')}</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? t('signin.busy') : t('signin.submit')}
        </button>
      </form>
      <p class="hint">{t('signin.demo')}</p>
    </>
  );
}
