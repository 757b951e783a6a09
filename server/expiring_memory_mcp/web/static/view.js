// The one script of the memory view: each action asks for confirmation in a dialog instead of on a page of its own.
// Without JavaScript the server shows that confirmation page, so every action still works.
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  let question = form.dataset.confirm;
  const days = form.elements.namedItem("days");
  if (days instanceof HTMLInputElement) {
    question += days.value.trim()
      ? ` for ${days.value.trim()} days from now?`
      : ` for its type's lifetime (${form.dataset.tier} days from now, unless it already lasts longer)?`;
  }
  const content = form.closest(".memory")?.querySelector(".content")?.textContent ?? "";
  if (!window.confirm(`${question}\n\n“${content.slice(0, 200)}”`)) {
    event.preventDefault();
    return;
  }
  const confirmed = form.elements.namedItem("confirmed");
  if (confirmed instanceof HTMLInputElement) confirmed.value = "yes";
});
