// Reassign a case to another person covering its grid (POST /alerts/:id/reassign).
import { post } from '../api.js';
import { t, tx } from '../i18n/index.js';
import { errorText } from '../page.js';
import { loadPeople } from '../people.js';
import type { AlertCase } from '../types.js';
import { h, note } from './dom.js';

export function reassignForm(c: AlertCase, done: () => void): HTMLElement {
  const select = h('select', { name: 'person', 'aria-label': t('detail.reassignTo') });
  const msg = h('div', { class: 'msg' });
  const ok = h('button', { class: 'btn', type: 'submit', 'data-action': 'reassign' }, t('detail.reassign'));
  const form = h('form', { class: 'card row reassign' }, h('label', {}, t('detail.reassignTo'), select), ok, msg);
  loadPeople()
    .then((ps) => select.replaceChildren(...ps.filter((p) => p.grids.includes(c.grid) && p.id !== c.assignee).map((p) => h('option', { value: p.id }, `${p.name}（${tx('role', p.role)}）`))))
    .catch(() => undefined);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!select.value) return;
    ok.disabled = true;
    post(`/alerts/${encodeURIComponent(c.id)}/reassign`, { person: select.value })
      .then(done)
      .catch((err: unknown) => {
        ok.disabled = false;
        msg.replaceChildren(note(errorText(err, t), 'error'));
      });
  });
  return form;
}
