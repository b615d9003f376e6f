// The desk agenda of the operator console, for operators with the desk
// role: the bookings of a day or a week, per office and service; attended
// or no-show; cancel with a reason (the visitor is told by e-mail); the
// days closed from the console; the CSV export. Every text is written with
// textContent, never as HTML.

import { MONTHS } from './views.js';

const API = '/operator/api';
const STATUS = {
  booked: 'Prenotato',
  attended: 'Presente',
  no_show: 'Non presentato',
  cancelled: 'Annullato',
};
const WEEKDAYS = ['domenica', 'lunedì', 'martedì', 'mercoledì', 'giovedì', 'venerdì', 'sabato'];

const $ = (id) => document.getElementById(id);

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

/** «mercoledì 9 dicembre 2026» from YYYY-MM-DD. */
function longDate(iso) {
  const [y, m, d] = String(iso).split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  if (Number.isNaN(date.getTime())) return String(iso);
  return `${WEEKDAYS[date.getUTCDay()]} ${d} ${MONTHS[m - 1]} ${y}`;
}

/** Today in Rome, YYYY-MM-DD. */
function today() {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit',
  }).format(new Date());
  return parts;
}

function addDays(iso, n) {
  const [y, m, d] = iso.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d + n));
  return date.toISOString().slice(0, 10);
}

/**
 * The agenda view. `api(method, path, body)` and `errorText(error)` are the
 * console's.
 */
export function createAgenda({ api, errorText }) {
  const el = {
    heading: $('agenda-heading'),
    filter: $('agenda-filter'),
    site: $('agenda-site'),
    date: $('agenda-date'),
    days: $('agenda-days'),
    office: $('agenda-office'),
    service: $('agenda-service'),
    csv: $('agenda-csv'),
    status: $('agenda-status'),
    error: $('agenda-error'),
    list: $('agenda-list'),
    closedList: $('closed-list'),
    closeForm: $('close-form'),
    closeOffice: $('close-office'),
    closeDate: $('close-date'),
    closeReason: $('close-reason'),
    closeStatus: $('close-status'),
    closeError: $('close-error'),
  };
  let sites = [];
  let agenda = null;
  let epoch = 0;

  function query() {
    const params = new URLSearchParams({
      site: el.site.value,
      from: el.date.value || today(),
      days: el.days.value,
    });
    return params.toString();
  }

  function fillChoices(select, choices, firstValue, firstText) {
    const kept = select.value;
    select.replaceChildren(new Option(firstText, firstValue));
    for (const c of choices) select.append(new Option(c.name, c.id));
    select.value = [...select.options].some((o) => o.value === kept) ? kept : firstValue;
  }

  async function load({ focus = null, announce = true } = {}) {
    const mine = ++epoch;
    el.error.textContent = '';
    if (announce) el.status.textContent = 'Caricamento dell\'agenda…';
    el.csv.href = `${API}/agenda.csv?${query()}`;
    try {
      const data = await api('GET', `${API}/agenda?${query()}`);
      if (mine !== epoch) return;
      agenda = data;
      fillChoices(el.office, data.offices, '', 'Tutte le sedi');
      fillChoices(el.service, data.services, '', 'Tutti i servizi');
      fillChoices(el.closeOffice, data.offices, '*', 'Tutte le sedi');
      render();
      if (announce) el.status.textContent = summary();
      if (focus) focusAfter(focus);
    } catch (e) {
      if (mine !== epoch) return;
      el.status.textContent = '';
      el.error.textContent = errorText(e);
    }
  }

  function shown() {
    const office = el.office.value;
    const service = el.service.value;
    return (agenda ? agenda.bookings : [])
      .filter((b) => (!office || b.office === office) && (!service || b.service === service));
  }

  function summary() {
    const list = shown();
    const active = list.filter((b) => b.status !== 'cancelled').length;
    const period = agenda.days === 1 ? longDate(agenda.from) : `${agenda.days} giorni da ${longDate(agenda.from)}`;
    return `${period}: ${active === 1 ? '1 prenotazione' : `${active} prenotazioni`}${list.length > active ? `, ${list.length - active} annullate` : ''}.`;
  }

  function render() {
    const list = shown();
    el.list.replaceChildren();
    const byDay = new Map();
    for (let i = 0; i < agenda.days; i += 1) byDay.set(addDays(agenda.from, i), []);
    for (const b of list) {
      if (!byDay.has(b.date)) byDay.set(b.date, []);
      byDay.get(b.date).push(b);
    }
    for (const [date, bookings] of byDay) {
      const section = node('section', 'agenda-day');
      const h = node('h3', '', longDate(date));
      h.id = `agenda-day-${date}`;
      section.setAttribute('aria-labelledby', h.id);
      section.append(h);
      const closed = agenda.closed_days.filter((d) => d.date === date);
      for (const d of closed) {
        section.append(node('p', 'muted', `Chiuso (${d.office_name}): ${d.reason}`));
      }
      if (!bookings.length) {
        section.append(node('p', 'muted', 'Nessuna prenotazione.'));
      } else {
        section.append(table(bookings));
      }
      el.list.append(section);
    }
    el.closedList.replaceChildren();
    if (!agenda.closed_days.length) {
      el.closedList.append(node('li', 'muted', 'Nessuna chiusura aggiunta da questa data in poi.'));
    }
    for (const d of agenda.closed_days) {
      const li = node('li');
      li.append(node('span', '', `${longDate(d.date)}, ${d.office_name}: ${d.reason} `));
      const reopen = node('button', 'btn btn-small btn-outline', 'Riapri');
      reopen.type = 'button';
      reopen.setAttribute('aria-label', `Riapri ${d.office_name} ${longDate(d.date)}`);
      reopen.addEventListener('click', () => reopenDay(d, reopen));
      li.append(reopen);
      el.closedList.append(li);
    }
  }

  function table(bookings) {
    const t = node('table', 'agenda-table');
    const head = node('thead');
    const tr = node('tr');
    for (const title of ['Ora', 'Servizio', 'Sede', 'Persona', 'Contatti', 'Codice', 'Stato', 'Azioni']) {
      const th = node('th', '', title);
      th.scope = 'col';
      tr.append(th);
    }
    head.append(tr);
    const body = node('tbody');
    for (const b of bookings) body.append(...rows(b));
    t.append(head, body);
    return t;
  }

  function who(b) {
    return `${b.nome} ${b.cognome}, ${b.start}`;
  }

  function rows(b) {
    const tr = node('tr');
    tr.dataset.code = b.code;
    const time = node('th', '', `${b.start}–${b.end}`);
    time.scope = 'row';
    tr.append(time, node('td', '', b.service_title), node('td', '', b.office_name));
    const person = node('td');
    person.append(node('span', '', `${b.nome} ${b.cognome}`), node('br'), node('span', 'muted', b.codice_fiscale));
    const contacts = node('td');
    contacts.append(node('span', '', b.telefono), node('br'), node('span', 'muted', b.email));
    tr.append(person, contacts, node('td', 'code', b.code));
    const status = node('td', `status-${b.status}`, STATUS[b.status] || b.status);
    if (b.status === 'cancelled') {
      const by = b.cancelled_by === 'visitor' ? 'dal visitatore' : `da ${b.cancelled_by || 'ufficio'}`;
      status.append(node('br'), node('span', 'muted', b.cancel_reason ? `${by}: ${b.cancel_reason}` : by));
    }
    tr.append(status);
    const actions = node('td', 'row-actions');
    const extra = [];
    if (b.status === 'booked') {
      if (b.date <= today()) {
        actions.append(
          action('Presente', `Segna presente: ${who(b)}`, () => setOutcome(b, 'attended')),
          action('Non presentato', `Segna non presentato: ${who(b)}`, () => setOutcome(b, 'no_show')),
        );
      }
      const cancelButton = action('Annulla…', `Annulla la prenotazione di ${who(b)}`, () => openCancel(b, cancelRow, cancelButton));
      actions.append(cancelButton);
      const cancelRow = cancelForm(b, () => cancelButton);
      extra.push(cancelRow);
    } else if (b.status === 'attended' || b.status === 'no_show') {
      actions.append(action('Correggi', `Togli la segnatura «${STATUS[b.status]}»: ${who(b)}`, () => setOutcome(b, 'pending')));
    }
    tr.append(actions);
    return [tr, ...extra];
  }

  function action(text, label, onClick) {
    const button = node('button', 'btn btn-small btn-outline', text);
    button.type = 'button';
    button.setAttribute('aria-label', label);
    button.addEventListener('click', onClick);
    return button;
  }

  function cancelForm(b, cancelButton) {
    const tr = node('tr', 'cancel-row');
    tr.hidden = true;
    const td = node('td');
    td.colSpan = 8;
    const form = node('form', 'cancel-form');
    form.noValidate = true;
    const id = `cancel-reason-${b.code}`;
    const label = node('label', '', `Motivo dell'annullamento per ${b.nome} ${b.cognome} (sarà scritto nell'e-mail al visitatore)`);
    label.htmlFor = id;
    const reason = node('textarea');
    reason.id = id;
    reason.maxLength = 500;
    reason.rows = 2;
    reason.required = true;
    const error = node('p', 'error');
    error.id = `${id}-error`;
    error.setAttribute('role', 'alert');
    reason.setAttribute('aria-describedby', error.id);
    const confirm = node('button', 'btn btn-danger', 'Conferma annullamento');
    confirm.type = 'submit';
    const back = node('button', 'btn btn-outline', 'Indietro');
    back.type = 'button';
    const close = () => {
      tr.hidden = true;
      cancelButton().focus();
    };
    back.addEventListener('click', close);
    form.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        close();
      }
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const text = reason.value.trim();
      if (!text) {
        reason.setAttribute('aria-invalid', 'true');
        error.textContent = 'Scrivi il motivo: il visitatore lo leggerà nell\'e-mail.';
        reason.focus();
        return;
      }
      confirm.disabled = true;
      try {
        const r = await api('POST', `${API}/appointments/${encodeURIComponent(b.code)}/cancel`, { site: agenda.site, reason: text });
        el.status.textContent = r && r.visitor_emailed
          ? `Prenotazione di ${b.nome} ${b.cognome} annullata. Il visitatore riceve un'e-mail con il motivo.`
          : `Prenotazione di ${b.nome} ${b.cognome} annullata.`;
        await load({ focus: b.code, announce: false });
      } catch (err) {
        confirm.disabled = false;
        error.textContent = errorText(err);
      }
    });
    const actions = node('div', 'actions');
    actions.append(confirm, back);
    form.append(label, reason, error, actions);
    td.append(form);
    tr.append(td);
    return tr;
  }

  function openCancel(b, row) {
    row.hidden = false;
    row.querySelector('textarea').focus();
  }

  async function setOutcome(b, outcome) {
    el.error.textContent = '';
    try {
      await api('POST', `${API}/appointments/${encodeURIComponent(b.code)}/outcome`, { site: agenda.site, outcome });
      el.status.textContent = outcome === 'pending'
        ? `Segnatura tolta: ${who(b)}.`
        : `${who(b)}: ${STATUS[outcome].toLowerCase()}.`;
      await load({ focus: b.code, announce: false });
    } catch (e) {
      el.error.textContent = errorText(e);
    }
  }

  /** Focus where the visitor's row is after a change, else the heading. */
  function focusAfter(code) {
    const row = el.list.querySelector(`tr[data-code="${CSS.escape(code)}"]`);
    const target = row && (row.querySelector('button') || row.querySelector('th'));
    if (target) {
      if (target.tagName === 'TH') target.tabIndex = -1;
      target.focus();
    } else {
      el.heading.focus();
    }
  }

  async function reopenDay(d, button) {
    el.closeError.textContent = '';
    button.disabled = true;
    try {
      await api('POST', `${API}/closed-days/remove`, { site: agenda.site, office: d.office, date: d.date });
      el.closeStatus.textContent = `${d.office_name}: ${longDate(d.date)} di nuovo aperto alle prenotazioni.`;
      await load({ announce: false });
      el.closeDate.focus();
    } catch (e) {
      button.disabled = false;
      el.closeError.textContent = errorText(e);
    }
  }

  el.closeForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    el.closeError.textContent = '';
    el.closeStatus.textContent = '';
    for (const input of [el.closeDate, el.closeReason]) input.removeAttribute('aria-invalid');
    if (!el.closeDate.value) {
      el.closeDate.setAttribute('aria-invalid', 'true');
      el.closeError.textContent = 'Scegli il giorno da chiudere.';
      el.closeDate.focus();
      return;
    }
    if (!el.closeReason.value.trim()) {
      el.closeReason.setAttribute('aria-invalid', 'true');
      el.closeError.textContent = 'Scrivi il motivo della chiusura.';
      el.closeReason.focus();
      return;
    }
    const office = el.closeOffice.options[el.closeOffice.selectedIndex]?.text || '';
    try {
      const r = await api('POST', `${API}/closed-days`, {
        site: el.site.value, office: el.closeOffice.value, date: el.closeDate.value, reason: el.closeReason.value.trim(),
      });
      const left = r ? r.active_bookings : 0;
      el.closeStatus.textContent = `${office}: ${longDate(el.closeDate.value)} chiuso alle prenotazioni.`
        + (left ? ` In quel giorno restano ${left === 1 ? '1 prenotazione' : `${left} prenotazioni`}: annullale dall'agenda, il visitatore riceve un'e-mail.` : '');
      el.closeReason.value = '';
      await load({ announce: false });
    } catch (err) {
      el.closeError.textContent = err && err.code === 'date_past'
        ? 'Non si può chiudere un giorno già passato.'
        : errorText(err);
    }
  });

  el.filter.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  for (const select of [el.office, el.service]) {
    select.addEventListener('change', () => {
      if (!agenda) return;
      render();
      el.status.textContent = summary();
    });
  }
  for (const input of [el.site, el.days, el.date]) {
    input.addEventListener('change', () => {
      el.csv.href = `${API}/agenda.csv?${query()}`;
    });
  }

  return {
    /** A new session; `true` if the operator works at the desks. */
    start(session) {
      sites = Array.isArray(session.desk_sites) ? session.desk_sites : [];
      el.site.replaceChildren(...sites.map((s) => new Option(s.name || s.id, s.id)));
      el.site.closest('.field').hidden = sites.length < 2;
      el.date.value = today();
      el.closeDate.min = today();
      el.csv.href = `${API}/agenda.csv?${query()}`;
      return sites.length > 0;
    },
    /** The view is shown: the day's agenda, focus on its heading. */
    shown() {
      el.heading.focus();
      load();
    },
    stop() {
      epoch += 1;
      agenda = null;
      sites = [];
      el.list.replaceChildren();
      el.closedList.replaceChildren();
      el.status.textContent = '';
      el.error.textContent = '';
      el.closeStatus.textContent = '';
      el.closeError.textContent = '';
    },
  };
}
