// Styles that need JavaScript (the phone's folded filters) apply only when it runs.
document.documentElement.classList.add('js');

// Closes the open workspace switcher and a page's More actions (details) on an outside click
// or Escape.
(() => {
  'use strict';

  const openSwitchers = () => document.querySelectorAll('details.switcher[open], details.more-actions[open]');

  document.addEventListener('click', (event) => {
    for (const details of openSwitchers()) {
      // An outside click, or a choice made in it (its dialog opens over the page, not over it).
      const chosen = event.target.closest?.('.more-actions-items a, .more-actions-items button');
      if (!details.contains(event.target) || (chosen && details.contains(chosen))) details.open = false;
    }
  });

  // More actions from the keyboard: Down opens it and moves into its items, Up and Down move
  // between them (Tab still goes through them, as in any disclosure).
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const details = event.target.closest?.('details.more-actions');
    if (!details) return;
    const items = [...details.querySelectorAll('.more-actions-items a, .more-actions-items button')];
    if (items.length === 0) return;
    event.preventDefault();
    details.open = true;
    const at = items.indexOf(event.target);
    const step = event.key === 'ArrowDown' ? 1 : -1;
    const next = at < 0 ? (step > 0 ? 0 : items.length - 1) : (at + step + items.length) % items.length;
    items[next].focus();
  });

  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    for (const details of openSwitchers()) {
      const hadFocus = details.contains(document.activeElement) || document.activeElement === document.body;
      details.open = false;
      if (hadFocus) details.querySelector('summary')?.focus();
    }
  });
})();

// Dialogs: htmx swaps a <dialog> into #dialog (the invite form, confirmations); it opens as a modal,
// closes on its Cancel/✕ buttons or Escape, and leaves the page when closed. The element that opened
// it gets the focus back. Without JavaScript the same URLs are pages of their own.
(() => {
  'use strict';

  let opener = null;
  document.addEventListener('htmx:beforeRequest', (event) => {
    if (event.detail.target?.id !== 'dialog' || event.detail.elt.closest('dialog')) return;
    // An item of a menu that closes as it is chosen (More actions): the focus goes back to the
    // menu's button, which stays on the page.
    opener = event.detail.elt.closest('details.more-actions')?.querySelector(':scope > summary') ?? event.detail.elt;
  });

  document.addEventListener('htmx:afterSwap', (event) => {
    if (event.detail.target?.id !== 'dialog') return;
    const dialog = event.detail.target.querySelector('dialog');
    if (!dialog) {
      opener?.focus();
      return;
    }
    if (!dialog.open) dialog.showModal();
    // A tab chosen in the dialog (By email | From Slack): the keyboard stays on the tab chosen.
    const tabbed = event.detail.requestConfig?.elt?.closest('.tabs');
    const chosen = tabbed ? dialog.querySelector('.tabs [aria-current="page"]') : null;
    if (chosen) {
      chosen.focus();
      return wireClose(dialog);
    }
    // The first field in error, else the first field of its form, else its first button (not ✕);
    // a confirmation of something dangerous with nothing to fill in starts on Cancel, so that a
    // stray Enter deletes nothing.
    (dialog.querySelector('[aria-invalid="true"]')
      ?? dialog.querySelector('form textarea, form input:not([type="hidden"]), form select')
      ?? (dialog.querySelector('form .button-danger') ? dialog.querySelector('form [data-close-dialog]') : null)
      ?? dialog.querySelector('form button, .button:not(.dialog-close)'))?.focus();
    wireClose(dialog);
  });

  // Closed, the dialog goes and the keyboard is back where it was before it opened.
  function wireClose(dialog) {
    dialog.addEventListener('close', () => {
      dialog.remove();
      opener?.focus();
    });
  }

  document.addEventListener('click', (event) => {
    const closer = event.target.closest('[data-close-dialog]');
    if (closer) closer.closest('dialog')?.close();
  });

  // A refusal of a dialog's form (403, 409, 413) lands in the page's message area, behind the
  // dialog: it is said in the dialog too, above its form, where the person is looking.
  document.addEventListener('htmx:afterSwap', (event) => {
    if (event.detail.target?.id !== 'flash') return;
    const dialog = document.querySelector('#dialog dialog[open]');
    const alert = event.detail.target.querySelector('.alert-error');
    if (!dialog || !alert) return;
    dialog.querySelector('.dialog-refusal')?.remove();
    const said = alert.cloneNode(true);
    said.classList.add('dialog-refusal');
    const form = dialog.querySelector('form');
    if (form) form.before(said);
    else dialog.prepend(said);
    // Back to what is to be mended (not the send button, which would send the same again).
    dialog.querySelector('form textarea, form input:not([type="hidden"])')?.focus();
  });
})();

// Lists searched or paged in place (#results): a status line says what came (its words are in
// the rows' fragment), rather than the whole table being read out as a live region.
document.addEventListener('htmx:afterSwap', (event) => {
  if (event.detail.target?.id !== 'results') return;
  const words = event.detail.target.querySelector('[data-results-status]');
  const status = document.getElementById('results-status');
  if (words && status) status.textContent = words.textContent;
});

// A page that comes back with a refused form: its first field in error gets the focus and is
// scrolled to, as a dialog's does, so that the message beside it is seen (long pages put it below
// the fold). The same when a form's answer replaces the whole <main> (the API key form: its answer
// holds the secret, and a reload must not send the form again); there a field marked autofocus
// (the secret) takes the focus.
const focusAnswer = () => {
  const field = document.querySelector('main [aria-invalid="true"], main .field-invalid :is(input, select, textarea)');
  if (field) {
    field.focus({ preventScroll: true });
    field.scrollIntoView({ block: 'center' });
  } else if (document.querySelector('main .alert-error')) {
    // The whole form was refused (a wrong password): the first empty field, to try again.
    [...document.querySelectorAll('main form input:not([type="hidden"])')].find((input) => !input.value)?.focus();
  } else if (document.querySelector('main .field-error:not([hidden])')) {
    document.querySelector('main .field-error:not([hidden])').scrollIntoView({ block: 'center' });
  } else if (document.body.classList.contains('public') && document.activeElement === document.body) {
    // Sign-in, a reset or an invitation: one form, so typing starts in its first empty field.
    [...document.querySelectorAll('main form input:not([type="hidden"])')].find((input) => !input.value)?.focus();
  }
};
document.addEventListener('DOMContentLoaded', focusAnswer);
document.addEventListener('htmx:afterSettle', (event) => {
  if (event.detail.requestConfig?.target?.id !== 'main') return;
  const wanted = document.querySelector('main [autofocus]');
  if (wanted) {
    wanted.closest('section')?.scrollIntoView({ block: 'start' });
    wanted.focus({ preventScroll: true });
  } else {
    focusAnswer();
  }
});

// A one-line field in error, once edited, stops showing its old message (it would still call a
// corrected address invalid); the server judges it again when the form is sent. A text area's
// message lists each problem of a pasted list: it stays until the list is sent again.
document.addEventListener('input', (event) => {
  const field = event.target;
  if (field.tagName !== 'INPUT' || field.getAttribute('aria-invalid') !== 'true') return;
  const error = `${field.id}-error`;
  field.removeAttribute('aria-invalid');
  const described = (field.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id && id !== error);
  if (described.length) field.setAttribute('aria-describedby', described.join(' '));
  else field.removeAttribute('aria-describedby');
  const message = document.getElementById(error);
  if (message) message.hidden = true;
  field.closest('.field-invalid')?.classList.remove('field-invalid');
});

// A dialog holding something typed does not close on a stray Escape: the first press says what a
// second one does (Cancel closes it at once). `cancel` does not bubble: caught on the way down.
document.addEventListener('cancel', (event) => {
  const dialog = event.target;
  if (!(dialog instanceof HTMLDialogElement) || dialog.dataset.escapeWarned) return;
  const typed = [...dialog.querySelectorAll('textarea, input:is([type="text"], [type="email"], [type="search"], :not([type]))')]
    .some((field) => !field.readOnly && field.value.trim() !== '');
  if (!typed) return;
  event.preventDefault();
  dialog.dataset.escapeWarned = 'true';
  const note = dialog.querySelector('.escape-note') ?? document.createElement('p');
  note.className = 'notice notice-warning escape-note';
  note.setAttribute('role', 'status');
  note.textContent = 'Press Escape again to close this and lose what you typed.';
  // Under the title (and its ✕), where it is seen however far the dialog is scrolled (it
  // scrolls there).
  const head = dialog.querySelector('.dialog-head') ?? dialog.querySelector('h2');
  if (!note.isConnected) {
    if (head) head.after(note);
    else dialog.prepend(note);
  }
  note.scrollIntoView({ block: 'nearest' });
}, true);
// Typing again after that warning: a later Escape warns again before anything is lost.
document.addEventListener('input', (event) => {
  const dialog = event.target.closest?.('dialog[data-escape-warned]');
  if (!dialog) return;
  delete dialog.dataset.escapeWarned;
  dialog.querySelector('.escape-note')?.remove();
});

// The group picker keeps what was ticked across searches: a box a new search would drop stays
// above its results, ticked, so that "Add chosen members" adds everyone chosen.
(() => {
  let kept = [];
  document.addEventListener('htmx:beforeRequest', (event) => {
    const options = event.detail.target;
    if (options?.id !== 'picker-options') return;
    kept = Array.from(options.querySelectorAll('input[type="checkbox"]:checked:not([disabled])'))
      .map((box) => box.closest('label').cloneNode(true));
  });
  document.addEventListener('htmx:afterSwap', (event) => {
    const options = event.detail.target;
    if (options?.id !== 'picker-options') return;
    for (const label of kept.reverse()) {
      const box = label.querySelector('input');
      const shown = options.querySelector(`input[type="checkbox"][value="${box.value}"]`);
      if (shown) {
        shown.checked = true;
      } else {
        box.checked = true;
        options.prepend(label);
      }
    }
    kept = [];
  });
})();

// A tab that swaps the panel below it becomes the current one (only the panel is replaced).
document.addEventListener('htmx:afterSwap', (event) => {
  const tab = event.detail.requestConfig?.elt;
  if (!tab?.matches?.('nav.tabs a')) return;
  tab.parentElement.querySelectorAll('a[aria-current]').forEach((a) => a.removeAttribute('aria-current'));
  tab.setAttribute('aria-current', 'page');
});

// Filter forms: empty fields ("any role") stay out of the address, so shared links stay short.
document.addEventListener('htmx:configRequest', (event) => {
  if (event.detail.verb !== 'get') return;
  const params = event.detail.parameters;
  for (const key of Array.from(params.keys ? params.keys() : Object.keys(params))) {
    const value = params.get ? params.get(key) : params[key];
    if (value === '') params.delete ? params.delete(key) : delete params[key];
  }
});

// Bulk actions on the users list: "select all on this page" ticks every row's box; while anything
// is ticked, a reload of the rows waits (it would untick them).
document.addEventListener('change', (event) => {
  const all = event.target.closest('[data-select-all]');
  if (!all) return;
  for (const box of document.querySelectorAll('#bulk input[name="member_id"]')) box.checked = all.checked;
});
// The bulk bar's role and group menus show only for the actions that use them (without
// JavaScript both stay, each saying what it is for).
const showBulkMenus = () => {
  const action = document.getElementById('bulk-action')?.value;
  for (const menu of document.querySelectorAll('#bulk [data-for-action]')) {
    menu.hidden = !menu.dataset.forAction.split(' ').includes(action);
  }
};
document.addEventListener('change', (event) => {
  if (event.target.id === 'bulk-action') showBulkMenus();
});
document.addEventListener('DOMContentLoaded', showBulkMenus);
document.addEventListener('htmx:afterSwap', showBulkMenus);
// How many are ticked, said beside Preview; a preview that could only be refused (nobody ticked,
// no role or group chosen) says why there and keeps the ticks (the server says the same without
// JavaScript).
const bulkCount = () => {
  const count = document.getElementById('bulk-count');
  if (!count) return;
  const ticked = document.querySelectorAll('#bulk input[name="member_id"]:checked').length;
  const everyone = document.querySelector('#bulk input[name="all_matching"]')?.checked;
  // "Select all" follows the rows: ticked when all are, half-ticked when some are.
  const all = document.querySelector('#bulk input[data-select-all]');
  if (all) {
    const boxes = document.querySelectorAll('#bulk input[name="member_id"]').length;
    all.checked = boxes > 0 && ticked === boxes;
    all.indeterminate = ticked > 0 && ticked < boxes;
  }
  count.textContent = everyone ? 'Everyone matching the filters' : ticked ? `${ticked} selected` : '';
  const error = document.getElementById('bulk-error');
  if (error && (ticked || everyone)) error.hidden = true;
};
document.addEventListener('change', (event) => {
  if (event.target.closest('#bulk')) bulkCount();
});
// A form that gives what only its holders take back (Owner, org owner) asks first, in the
// #ask-first dialog, when that is the choice: `data-confirm` is the question (its first sentence
// the title), `data-confirm-field` = `data-confirm-when` the choice that asks it. A plain form is
// sent once answered; an htmx form (the invite dialog) is asked at htmx's confirm step. Without
// JavaScript the form is sent as it is: the form contract keeps a role change one POST.
(() => {
  const asksFirst = (form) => {
    const field = form?.dataset?.confirmField;
    return Boolean(field) && form.elements[field]?.value === form.dataset.confirmWhen;
  };
  // The dialog, made the first time it is needed (pages that never ask carry none of it).
  const made = (tag, attributes, ...children) => {
    const element = document.createElement(tag);
    Object.entries(attributes).forEach(([name, value]) => element.setAttribute(name, value));
    element.append(...children);
    return element;
  };
  const askFirst = () => document.getElementById('ask-first') ?? document.body.appendChild(
    made('dialog', { id: 'ask-first', class: 'dialog dialog-narrow', 'aria-labelledby': 'ask-first-title', 'aria-describedby': 'ask-first-text' },
      made('h2', { id: 'ask-first-title', class: 'dialog-head' }),
      made('p', { id: 'ask-first-text' }),
      made('form', { method: 'dialog', class: 'form-actions' },
        made('button', { type: 'submit', value: 'yes', class: 'button button-primary' }, 'Yes, go on'),
        made('button', { type: 'submit', value: 'no', class: 'button' }, 'Cancel'))));
  const ask = (question, go) => {
    const dialog = askFirst();
    const cut = question.indexOf('? ') + 1;
    dialog.querySelector('h2').textContent = cut > 0 ? question.slice(0, cut) : question;
    dialog.querySelector('p').textContent = cut > 0 ? question.slice(cut).trim() : '';
    dialog.returnValue = '';
    dialog.addEventListener('close', () => { if (dialog.returnValue === 'yes') go(); }, { once: true });
    dialog.showModal();
    // Cancel first: a stray Enter gives nothing away.
    dialog.querySelector('button[value="no"]').focus();
  };
  document.addEventListener('submit', (event) => {
    const form = event.target;
    if ((window.htmx && form.hasAttribute('hx-post')) || !asksFirst(form)) return;
    if (form.dataset.answered) {
      delete form.dataset.answered;
      return;
    }
    event.preventDefault();
    const submitter = event.submitter;
    ask(form.dataset.confirm, () => {
      form.dataset.answered = 'yes';
      form.requestSubmit(submitter ?? undefined);
    });
  });
  document.addEventListener('htmx:confirm', (event) => {
    const form = event.detail.elt;
    if (form.tagName !== 'FORM' || !asksFirst(form)) return;
    event.preventDefault();
    ask(form.dataset.confirm, () => event.detail.issueRequest(true));
  });
})();
// A picker's Search button and Enter open the search as a page without JavaScript (its own
// form); with it they search in place, as typing does, so that what was chosen, ticked or typed
// beside the picker (an heir, a reason, people ticked) stays.
document.addEventListener('submit', (event) => {
  const input = document.getElementById('picker-q');
  if (event.target.id !== 'picker-search' || !input || !window.htmx) return;
  event.preventDefault();
  window.htmx.trigger(input, 'search');
});
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (form.id !== 'bulk') return;
  const action = form.elements.action.value;
  const chosen = (name) => form.elements[name] && form.elements[name].value !== '';
  let why = '';
  if (!form.querySelector('input[name="member_id"]:checked') && !form.elements.all_matching.checked) {
    why = 'Tick the people to act on, or choose everyone matching the filters.';
  } else if (action === 'change_role' && !chosen('role')) {
    why = 'Choose the role to give.';
  } else if ((action === 'add_to_group' || action === 'remove_from_group') && !chosen('group_id')) {
    why = 'Choose a group.';
  }
  if (!why) return;
  event.preventDefault();
  const error = document.getElementById('bulk-error');
  error.textContent = why;
  error.hidden = false;
});
document.addEventListener('htmx:beforeRequest', (event) => {
  const refresh = event.detail.elt?.matches?.('[data-refresh-rows]');
  if (refresh && document.querySelector('#bulk input[name="member_id"]:checked, #bulk input[name="all_matching"]:checked')) event.preventDefault();
});

// Presence in real time: on a workspace's pages the browser follows its presence stream (which
// also keeps this person online while the tab is open); on the users list each change updates the
// row's "last active" cell in place — no table reload, so the keyboard's focus stays where it is.
(() => {
  'use strict';

  const url = document.body.dataset.presence;
  if (!url || !window.EventSource) return;
  const source = new EventSource(url);

  const render = (cell, change) => {
    const parts = [];
    if (change.online) {
      const dot = document.createElement('span');
      dot.className = 'online-dot';
      dot.title = 'Online';
      const said = document.createElement('span');
      said.className = 'visually-hidden';
      said.textContent = 'Online, ';
      parts.push(dot, said);
    }
    const time = document.createElement('time');
    time.dateTime = change.last_active;
    time.textContent = change.label;
    parts.push(time);
    cell.replaceChildren(...parts);
  };

  source.addEventListener('presence', (event) => {
    const change = JSON.parse(event.data);
    // The member's row is the one whose name links to them; its cell under the "Last active"
    // heading (where that is depends on the columns this viewer sees).
    const name = document.querySelector(`.table-dense td > a[href$="/users/${Number(change.id)}"]:has(> .avs)`);
    const headings = [...(name?.closest('table')?.tHead?.rows[0]?.cells ?? [])];
    const column = headings.findIndex((th) => th.textContent.trim() === 'Last active');
    const cell = column >= 0 ? name.closest('tr').cells[column] : null;
    if (cell) render(cell, change);
  });
  // This tab fell behind the stream: the rows are read again (as after a row action).
  source.addEventListener('stale', () => {
    document.body.dispatchEvent(new Event('members-changed'));
  });
  window.addEventListener('pagehide', () => source.close());
})();

// After a row action the rows are read again (`members-changed`), which replaces the element the
// keyboard was on: the focus comes back to the same row's "⋯", or — the row gone from the list (a
// revoked invitation, a removal) — to the message saying what happened.
(() => {
  'use strict';

  let lastRow = null;
  // Set by a form or row action sent (a POST): a reload the presence stream asks for moves nothing.
  let acted = false;
  document.addEventListener('focusin', (event) => {
    const row = event.target.closest?.('#results tr[data-email]');
    if (row) lastRow = row.dataset.email;
  });
  document.addEventListener('htmx:beforeRequest', (event) => {
    if (event.detail.requestConfig?.verb === 'post') acted = true;
  });
  document.addEventListener('htmx:afterSettle', (event) => {
    if (!event.detail.requestConfig?.elt?.matches?.('[data-refresh-rows]') || !acted) return;
    acted = false;
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    const row = [...document.querySelectorAll('#results tr[data-email]')].find((r) => r.dataset.email === lastRow);
    const place = row?.querySelector('a[data-actions]') ?? row?.querySelector('a') ?? document.querySelector('#flash .alert');
    if (!place) return;
    if (!place.matches('a, button')) place.tabIndex = -1;
    place.focus();
  });
})();

// The users list's row menus: each row has one "⋯" link (to the member's page, where every action
// is, without JavaScript) naming the actions this viewer may take (`data-actions`); a click opens
// a menu of them. Items that ask first open their dialog; unsuspend and resend post at once and
// the rows reload (as the buttons did). Arrow keys move, Escape closes and gives the focus back.
(() => {
  'use strict';

  const ITEMS = {
    suspend: { label: 'Suspend…', path: (m) => `${m}/suspend?from=list` },
    unsuspend: { label: 'Unsuspend', path: (m) => `${m}/unsuspend?from=list`, post: true },
    restore: { label: 'Restore…', path: (m) => `${m}/restore?from=list` },
    resend: { label: 'Resend invitation', invitation: 'resend', post: true },
    revoke: { label: 'Revoke invitation…', invitation: 'revoke', danger: true },
    remove: { label: 'Remove from workspace…', path: (m) => `${m}/remove?from=list`, danger: true },
  };
  let open = null;

  const close = (refocus) => {
    if (!open) return;
    const { menu, button } = open;
    open = null;
    menu.remove();
    button.setAttribute('aria-expanded', 'false');
    if (refocus) button.focus();
  };

  const show = (button) => {
    const member = button.getAttribute('href');
    const workspace = member.split('/users/')[0];
    const menu = document.createElement('div');
    menu.className = 'row-menu-items';
    menu.setAttribute('role', 'menu');
    for (const word of button.dataset.actions.split(' ')) {
      const item = ITEMS[word];
      if (!item) continue;
      const url = item.invitation
        ? `${workspace}/invitations/${button.dataset.invitation}/${item.invitation}`
        : item.path(member);
      const entry = document.createElement(item.post ? 'button' : 'a');
      entry.setAttribute('role', 'menuitem');
      entry.textContent = item.label;
      // An invitation sent a moment ago cannot be sent again yet (once a minute): said, not offered.
      const wait = word === 'resend' ? Math.ceil(Number(button.dataset.resendAt ?? 0) - Date.now() / 1000) : 0;
      if (wait > 0) {
        entry.textContent = `${item.label} (in ${wait} s)`;
        entry.setAttribute('aria-disabled', 'true');
        if (item.post) entry.type = 'button';
        menu.append(entry);
        continue;
      }
      if (item.danger) entry.className = 'danger';
      if (item.post) {
        entry.type = 'button';
        entry.addEventListener('click', () => {
          close(false);
          htmx.ajax('POST', url, { source: button, swap: 'none' });
        });
      } else {
        entry.href = url;
        entry.addEventListener('click', (event) => {
          event.preventDefault();
          htmx.ajax('GET', url, { source: button, target: '#dialog' });
          close(false);
        });
      }
      menu.append(entry);
    }
    button.after(menu);
    button.setAttribute('aria-expanded', 'true');
    open = { menu, button };
    menu.querySelector('[role=menuitem]')?.focus();
  };

  // On hover, a cut cell (an address, the groups) shows its whole text, and a time its exact
  // moment in the viewer's time zone (the page carries only the short form, to stay light).
  document.addEventListener('mouseover', (event) => {
    const time = event.target.closest?.('.table-dense time[datetime]');
    if (time && !time.title) {
      const timeZone = time.closest('table')?.dataset.timezone || undefined;
      try {
        time.title = new Date(time.dateTime).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZoneName: 'short', timeZone });
      } catch {
        time.title = new Date(time.dateTime).toLocaleString();
      }
    }
    for (const cut of [event.target.closest?.('.table-dense td > a'), event.target.closest?.('.table-dense td')]) {
      if (cut && !cut.title && cut.scrollWidth > cut.clientWidth) cut.title = cut.textContent.trim();
    }
  });

  document.addEventListener('click', (event) => {
    const button = event.target.closest?.('.table-dense a[data-actions]');
    if (button) {
      event.preventDefault();
      const again = open?.button === button;
      close(false);
      if (!again) show(button);
      return;
    }
    if (open && !open.menu.contains(event.target)) close(false);
  });

  document.addEventListener('keydown', (event) => {
    if (!open) return;
    const items = [...open.menu.querySelectorAll('[role=menuitem]')];
    const at = items.indexOf(document.activeElement);
    if (event.key === 'Escape') {
      event.preventDefault();
      close(true);
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : items.length - 1;
      items[(at + step) % items.length]?.focus();
    } else if (event.key === 'Tab') {
      close(false);
    }
  });
})();

// The users list's "Filters" button (phones): shows or hides the filters, and says how many are
// set ("Filters (2)") while they are folded away.
const filtersCount = () => {
  const toggle = document.querySelector('.filters-toggle');
  const group = toggle && document.getElementById(toggle.getAttribute('aria-controls'));
  if (!group) return;
  const set = [...group.querySelectorAll('select')].filter((menu) => menu.value !== '').length;
  toggle.textContent = set ? `Filters (${set})` : 'Filters';
};
document.addEventListener('DOMContentLoaded', filtersCount);
document.addEventListener('change', (event) => {
  if (event.target.closest?.('.filters-group')) filtersCount();
});
document.addEventListener('click', (event) => {
  const toggle = event.target.closest?.('.filters-toggle');
  if (!toggle) return;
  const group = document.getElementById(toggle.getAttribute('aria-controls'));
  const open = !group.classList.contains('open');
  group.classList.toggle('open', open);
  toggle.setAttribute('aria-expanded', String(open));
  if (open) group.querySelector('select')?.focus();
});

// Type-ahead pickers (issue 21 §4): a wall of checkboxes (fieldset[data-picker], e.g. the invite
// dialog's groups and apps) gets a filter field and becomes one stop for Tab: typing narrows the
// list, the arrow keys move through what is shown, Space or Enter ticks, Escape clears the filter.
// What is ticked is listed under the field. Without JavaScript the checkboxes stay as they are.
(() => {
  'use strict';

  const enhance = (fieldset) => {
    if (fieldset.dataset.pickerReady) return;
    fieldset.dataset.pickerReady = 'yes';
    const boxes = [...fieldset.querySelectorAll('input[type=checkbox]')];
    const labelOf = (box) => box.closest('label')?.textContent.trim() ?? box.value;
    const filter = document.createElement('input');
    filter.type = 'search';
    filter.className = 'picker-filter';
    filter.autocomplete = 'off';
    filter.placeholder = `Type to find ${fieldset.dataset.picker}`;
    filter.setAttribute('aria-label', `Find ${fieldset.dataset.picker}`);
    const chosen = document.createElement('p');
    chosen.className = 'picker-chosen hint';
    chosen.setAttribute('aria-live', 'polite');
    fieldset.querySelector('legend').after(filter, chosen);

    const shown = () => boxes.filter((b) => !b.closest('label').hidden);
    let current = boxes[0];
    const rove = (to) => {
      for (const b of boxes) b.tabIndex = -1;
      current = to ?? shown()[0] ?? boxes[0];
      if (current) current.tabIndex = 0;
    };
    const summarize = () => {
      const picked = boxes.filter((b) => b.checked).map(labelOf);
      chosen.textContent = picked.length ? `Chosen: ${picked.join(', ')}` : '';
    };
    filter.addEventListener('input', () => {
      const words = filter.value.trim().toLowerCase();
      for (const b of boxes) b.closest('label').hidden = !!words && !labelOf(b).toLowerCase().includes(words);
      rove();
    });
    const move = (event, from) => {
      const list = shown();
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        const at = list.indexOf(from);
        const next = event.key === 'ArrowDown'
          ? list[Math.min(at + 1, list.length - 1)]
          : at <= 0 ? null : list[at - 1];
        if (next) { rove(next); next.focus(); } else if (event.key === 'ArrowUp') filter.focus();
      } else if (event.key === 'Escape' && filter.value) {
        event.preventDefault();
        event.stopPropagation();
        filter.value = '';
        filter.dispatchEvent(new Event('input'));
        filter.focus();
      }
    };
    filter.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        const first = shown()[0];
        if (first) { rove(first); first.focus(); }
      } else if (event.key === 'Enter') {
        // Enter in the filter ticks the only match instead of sending the form.
        event.preventDefault();
        const list = shown();
        if (list.length === 1) { list[0].click(); }
      } else {
        move(event, null);
      }
    });
    for (const box of boxes) {
      box.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') { event.preventDefault(); box.click(); return; }
        move(event, box);
      });
      box.addEventListener('change', summarize);
      box.addEventListener('focus', () => rove(box));
    }
    rove();
    summarize();
  };

  const enhanceAll = () => document.querySelectorAll('fieldset[data-picker]').forEach(enhance);
  document.addEventListener('DOMContentLoaded', enhanceAll);
  document.addEventListener('htmx:afterSwap', enhanceAll);
})();

// A secret shown once (a new API key): focusing the field selects it, and a "Copy" button (shown
// only where this script runs) puts it on the clipboard and says so.
(() => {
  'use strict';

  document.addEventListener('focusin', (event) => {
    if (event.target.matches?.('[data-select-on-focus]')) event.target.select();
  });
  const reveal = () => {
    // The Copy button and the users list's "select all on this page" box, which only this
    // script makes work.
    for (const control of document.querySelectorAll('button[data-copy][hidden], input[data-select-all][hidden]')) {
      control.hidden = false;
    }
  };
  reveal();
  document.body.addEventListener('htmx:afterSettle', reveal);
  document.addEventListener('click', async (event) => {
    const button = event.target.closest?.('button[data-copy]');
    if (!button) return;
    const field = document.getElementById(button.dataset.copy);
    if (!field) return;
    field.select();
    let copied = false;
    try {
      await navigator.clipboard.writeText(field.value);
      copied = true;
    } catch {
      // Not a secure context (plain http on another host): the browser's own copy of the selection.
      copied = document.execCommand('copy');
    }
    button.textContent = copied ? 'Copied' : 'Press Ctrl+C to copy';
    button.dataset.copied = copied;
  });
})();

// On a phone the side navigation is a strip that scrolls sideways: the current page's link is
// brought into it, so that "Audit log" is seen when that is where one is.
document.addEventListener('DOMContentLoaded', () => {
  const current = document.querySelector('.sidenav a[aria-current="page"]');
  const strip = current?.closest('.sidenav');
  if (!current || strip.scrollWidth <= strip.clientWidth) return;
  const offset = current.getBoundingClientRect().left - strip.getBoundingClientRect().left;
  strip.scrollLeft += offset - (strip.clientWidth - current.offsetWidth) / 2;
});

// "← Users" on a member's page leads back to the list as it was left: its search, filters, order
// and page (kept for this tab only). Without JavaScript it leads to the list's first page.
(() => {
  'use strict';
  const listPath = /^\/w\/[^/]+\/users$/;
  const remember = () => {
    if (!listPath.test(location.pathname)) return;
    try { sessionStorage.setItem('list:' + location.pathname, location.pathname + location.search); } catch (e) { /* storage off */ }
  };
  const useRemembered = () => {
    for (const link of document.querySelectorAll('a[data-back-to-list]')) {
      const path = new URL(link.href).pathname;
      let kept = null;
      try { kept = sessionStorage.getItem('list:' + path); } catch (e) { /* storage off */ }
      if (kept && kept.startsWith(path)) link.href = kept;
    }
  };
  remember();
  useRemembered();
  document.addEventListener('htmx:pushedIntoHistory', remember);
  document.addEventListener('htmx:replacedInHistory', remember);
  document.addEventListener('htmx:afterSettle', useRemembered);
})();

// "New group", "New app": down to the form under the list, the focus in its first field (without
// JavaScript the link still leads there).
document.addEventListener('click', (event) => {
  const link = event.target.closest?.('a[data-focus-form]');
  const heading = link && document.getElementById(link.hash.slice(1));
  const field = heading?.closest('section')?.querySelector('input:not([type="hidden"]), select, textarea');
  if (!field) return;
  event.preventDefault();
  heading.scrollIntoView({ block: 'start' });
  field.focus({ preventScroll: true });
});

// Paging and sorting replace the rows together with their links: the keyboard's focus comes back
// to the same control in the new rows (Next, Previous, or the column's sort link; at the last
// page, the other of Next and Previous), not to the top of the page.
(() => {
  'use strict';

  let wanted = null;
  document.addEventListener('htmx:beforeRequest', (event) => {
    const elt = event.detail.elt;
    wanted = null;
    if (!elt?.closest?.('#results') || document.activeElement !== elt) return;
    if (elt.matches('a[rel="next"], a[rel="prev"]')) wanted = `a[rel="${elt.rel}"]`;
    else if (elt.matches('a.sort-link')) wanted = `th:nth-child(${elt.closest('th').cellIndex + 1}) a.sort-link`;
  });
  document.addEventListener('htmx:afterSettle', () => {
    if (!wanted) return;
    const selector = wanted;
    wanted = null;
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    const place = document.querySelector(`#results ${selector}`)
      ?? document.querySelector('#results a[rel="prev"], #results a[rel="next"]');
    place?.focus();
  });
})();
