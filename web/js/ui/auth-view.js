// Sign-up and log-in screen. Server errors are shown in words next to the
// field they concern (docs/protocol.md, "Errors").

import { h } from './dom.js';
import { icon } from './icons.js';

const FIELDS = {
  login: [
    { name: 'email', label: 'Email', type: 'email', autocomplete: 'username' },
    { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' },
  ],
  signup: [
    { name: 'display_name', label: 'Display name', type: 'text', autocomplete: 'name', hint: 'How others see you, e.g. “Ann Lee”.' },
    { name: 'email', label: 'Email', type: 'email', autocomplete: 'email' },
    { name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password', hint: 'At least 8 characters.' },
  ],
};

export class AuthView {
  constructor(root, client, { notice = '' } = {}) {
    this.root = root;
    this.client = client;
    this.mode = location.hash === '#signup' ? 'signup' : 'login';
    this.values = {};
    this.notice = notice;
    this.render();
  }

  destroy() {
    this.el?.remove();
  }

  setMode(mode) {
    this.collect();
    this.mode = mode;
    this.notice = '';
    history.replaceState(null, '', mode === 'signup' ? '#signup' : '#');
    this.render();
    this.form.querySelector('input')?.focus();
  }

  collect() {
    if (!this.form) return;
    for (const input of this.form.querySelectorAll('input')) this.values[input.name] = input.value;
  }

  render() {
    const signup = this.mode === 'signup';
    this.inputs = {};
    this.errors = {};
    const fields = FIELDS[this.mode].map((f) => {
      const id = `auth-${f.name}`;
      const describedBy = [f.hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' ');
      const input = h('input', {
        id,
        name: f.name,
        type: f.type,
        autocomplete: f.autocomplete,
        required: true,
        value: this.values[f.name] ?? '',
        'aria-describedby': describedBy,
        on: { input: () => this.clearError(f.name) },
      });
      const error = h('p', { id: `${id}-error`, class: 'field-error', 'aria-live': 'polite' });
      this.inputs[f.name] = input;
      this.errors[f.name] = error;
      return h('div', { class: 'field' },
        h('label', { for: id }, f.label),
        input,
        f.hint ? h('p', { id: `${id}-hint`, class: 'field-hint' }, f.hint) : null,
        error);
    });
    this.formError = h('p', { class: 'form-error', role: 'alert' });
    this.submit = h('button', { type: 'submit', class: 'btn primary wide' }, signup ? 'Create account' : 'Log in');
    this.form = h('form', { class: 'auth-form', novalidate: true, 'aria-labelledby': 'auth-title', on: { submit: (e) => this.onSubmit(e) } },
      this.notice ? h('p', { class: 'notice', role: 'status' }, this.notice) : null,
      fields,
      this.formError,
      this.submit);
    const next = h('section', { class: 'auth', 'data-testid': 'auth-view' },
      h('div', { class: 'auth-card' },
        h('div', { class: 'brand' }, icon('chat', { size: 28 }), h('span', {}, 'Parley')),
        h('h1', { id: 'auth-title' }, signup ? 'Create your account' : 'Welcome back'),
        h('p', { class: 'auth-sub' }, signup ? 'Chat with your people on your own server.' : 'Log in to continue your conversations.'),
        this.form,
        h('p', { class: 'auth-switch' },
          signup ? 'Already have an account? ' : 'New here? ',
          h('button', { type: 'button', class: 'link', on: { click: () => this.setMode(signup ? 'login' : 'signup') } },
            signup ? 'Log in' : 'Create an account'))));
    if (this.el) this.el.replaceWith(next);
    else this.root.append(next);
    this.el = next;
    document.title = signup ? 'Sign up · Parley' : 'Log in · Parley';
  }

  showError(field, message) {
    const target = this.errors[field];
    if (target) {
      target.textContent = message;
      this.inputs[field].setAttribute('aria-invalid', 'true');
    } else {
      this.formError.textContent = message;
    }
  }

  clearError(field) {
    this.errors[field].textContent = '';
    this.inputs[field].removeAttribute('aria-invalid');
  }

  clearErrors() {
    for (const [name, el] of Object.entries(this.errors)) {
      el.textContent = '';
      this.inputs[name].removeAttribute('aria-invalid');
    }
    this.formError.textContent = '';
  }

  validate(v) {
    const problems = [];
    if (this.mode === 'signup' && !v.display_name.trim()) problems.push(['display_name', 'Enter the name others will see.']);
    if (!v.email.trim()) problems.push(['email', 'Enter your email address.']);
    else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.email.trim())) problems.push(['email', 'This does not look like an email address (name@example.org).']);
    if (!v.password) problems.push(['password', 'Enter your password.']);
    else if (this.mode === 'signup' && new TextEncoder().encode(v.password).length < 8) problems.push(['password', 'Use at least 8 characters.']);
    return problems;
  }

  async onSubmit(event) {
    event.preventDefault();
    this.collect();
    this.clearErrors();
    const v = { display_name: '', ...this.values };
    const problems = this.validate(v);
    if (problems.length) {
      for (const [field, message] of problems) this.showError(field, message);
      this.inputs[problems[0][0]].focus();
      return;
    }
    this.submit.disabled = true;
    this.submit.textContent = this.mode === 'signup' ? 'Creating account…' : 'Logging in…';
    try {
      if (this.mode === 'signup') await this.client.signup(v.email.trim(), v.password, v.display_name.trim());
      else await this.client.login(v.email.trim(), v.password);
      // the session change replaces this view
    } catch (e) {
      const field = fieldOf(e);
      this.showError(field, messageOf(e));
      this.inputs[field]?.focus();
      this.submit.disabled = false;
      this.submit.textContent = this.mode === 'signup' ? 'Create account' : 'Log in';
    }
  }
}

/** Which field a server error is about. */
function fieldOf(e) {
  switch (e.code) {
    case 'email_taken':
      return 'email';
    case 'bad_credentials':
      return 'password';
    case 'invalid_request': {
      const m = String(e.message);
      if (/^(missing field: )?email/.test(m)) return 'email';
      if (/^(missing field: )?password/.test(m)) return 'password';
      if (/^(missing field: )?display_name/.test(m)) return 'display_name';
      return 'form';
    }
    default:
      return 'form';
  }
}

function messageOf(e) {
  switch (e.code) {
    case 'email_taken':
      return 'An account with this email already exists. Log in instead?';
    case 'bad_credentials':
      return 'Wrong email or password.';
    case 'invalid_request': {
      const m = String(e.message);
      if (m.startsWith('email')) return 'This does not look like an email address (name@example.org).';
      if (m.startsWith('password')) return 'The password must be 8 to 1024 bytes long.';
      if (m.startsWith('display_name')) return 'The name must be 1 to 200 characters.';
      return m;
    }
    default:
      return e.message;
  }
}
