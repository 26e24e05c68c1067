import { ApiError, login } from '../api';
import { h } from '../dom';

/** Log in with a Postgres role and password: the proxy relays them to the database's authentication. */
export async function loginPage(main: HTMLElement, done: () => Promise<void>): Promise<void> {
  const status = h('p', { class: 'error', role: 'alert' });
  const user = h('input', { id: 'user', name: 'user', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password' });
  const database = h('input', { id: 'database', name: 'database', placeholder: 'the proxy’s default' });
  const form = h(
    'form',
    { class: 'login' },
    h('label', { for: 'user' }, 'Postgres role'),
    user,
    h('label', { for: 'password' }, 'Password'),
    password,
    h('label', { for: 'database' }, 'Database (optional)'),
    database,
    h('button', { type: 'submit' }, 'Log in'),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    login(user.value, password.value, database.value)
      .then(done)
      .catch((error: unknown) => {
        status.textContent = error instanceof ApiError ? `${error.message}${error.code ? ` (SQLSTATE ${error.code})` : ''}` : 'Login failed';
      });
  });
  document.getElementById('who')!.replaceChildren();
  main.replaceChildren(h('h1', {}, 'Log in to the dashboard'), h('p', {}, 'You see exactly what your Postgres role may read.'), form);
  user.focus();
}
