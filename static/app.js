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
