// Closes the open workspace switcher (details.switcher) on an outside click or Escape.
(() => {
  'use strict';

  const openSwitchers = () => document.querySelectorAll('details.switcher[open]');

  document.addEventListener('click', (event) => {
    for (const details of openSwitchers()) {
      if (!details.contains(event.target)) details.open = false;
    }
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
    if (event.detail.target?.id === 'dialog' && !event.detail.elt.closest('dialog')) opener = event.detail.elt;
  });

  document.addEventListener('htmx:afterSwap', (event) => {
    if (event.detail.target?.id !== 'dialog') return;
    const dialog = event.detail.target.querySelector('dialog');
    if (!dialog) {
      opener?.focus();
      return;
    }
    if (!dialog.open) dialog.showModal();
    dialog.querySelector('[aria-invalid="true"], textarea, input:not([type="hidden"]), select, button')?.focus();
    dialog.addEventListener('close', () => {
      dialog.remove();
      opener?.focus();
    });
  });

  document.addEventListener('click', (event) => {
    const closer = event.target.closest('[data-close-dialog]');
    if (closer) closer.closest('dialog')?.close();
  });
})();

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
// is ticked, the list's 30-second refresh waits (it would untick them).
document.addEventListener('change', (event) => {
  const all = event.target.closest('[data-select-all]');
  if (!all) return;
  for (const box of document.querySelectorAll('input[form="bulk"][name="member_id"]')) box.checked = all.checked;
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
document.addEventListener('htmx:beforeRequest', (event) => {
  const refresh = event.detail.elt?.matches?.('[data-refresh-rows]');
  if (refresh && document.querySelector('input[form="bulk"]:checked, #bulk input[name="all_matching"]:checked')) event.preventDefault();
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
    time.title = cell.querySelector('time')?.title || change.last_active;
    time.textContent = change.label;
    parts.push(time);
    cell.replaceChildren(...parts);
  };

  source.addEventListener('presence', (event) => {
    const change = JSON.parse(event.data);
    for (const cell of document.querySelectorAll(`[data-presence-of="${Number(change.id)}"]`)) {
      render(cell, change);
    }
  });
  // This tab fell behind the stream: the rows are read again (as after a row action).
  source.addEventListener('stale', () => {
    document.body.dispatchEvent(new Event('members-changed'));
  });
  window.addEventListener('pagehide', () => source.close());
})();
