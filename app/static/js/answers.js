// Answering a questionnaire: a local copy and a server-side autosave, and one section a page.
const form = document.querySelector("form[data-autosave]");
const pagedForm = document.querySelector("form[data-paged]");

// Words come from the page (data-text-*), so they are in the page's language.
function words(target, name, fallback) {
  return (target && target.dataset[name]) || fallback;
}

function answersOf(target) {
  const answers = {};
  new FormData(target).forEach((value, name) => {
    if (!name.startsWith("q_") || value === "") return;
    const key = name.slice(2);
    (answers[key] = answers[key] || []).push(value);
  });
  // Free text is one string, not a list.
  target.querySelectorAll("textarea[name^='q_']").forEach((area) => {
    const key = area.name.slice(2);
    if (answers[key]) answers[key] = answers[key][0];
  });
  return answers;
}

function restore(target, answers) {
  Object.entries(answers).forEach(([key, value]) => {
    const values = Array.isArray(value) ? value.map(String) : [String(value)];
    target.querySelectorAll(`[name="q_${CSS.escape(key)}"]`).forEach((input) => {
      if (input.type === "radio" || input.type === "checkbox") input.checked = values.includes(input.value);
      else input.value = values[0];
    });
  });
}

function readStored(storageKey) {
  try {
    return JSON.parse(localStorage.getItem(storageKey) || "null");
  } catch {
    return null;
  }
}

if (form) {
  const storageKey = form.dataset.storageKey;
  const keyInput = form.querySelector("input[name=submission_key]");
  const status = document.getElementById("autosave-status");
  const stored = readStored(storageKey);
  // The server's copy (resumed, or sent back with errors) wins; otherwise use this device's.
  if (stored && !form.hasAttribute("data-server-answers")) {
    keyInput.value = stored.key;
    restore(form, stored.answers);
    form.dispatchEvent(new Event("change", { bubbles: true }));
    if (status) status.textContent = words(form, "textRestored", "We kept the answers you gave on this device. Carry on where you left off.");
  }

  let timer = null;
  async function save() {
    const answers = answersOf(form);
    localStorage.setItem(storageKey, JSON.stringify({ key: keyInput.value, answers }));
    const csrf = form.querySelector("input[name=csrf_token]");
    try {
      const response = await fetch(form.dataset.autosave, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
        body: JSON.stringify({ submission_key: keyInput.value, answers }),
        credentials: "same-origin",
      });
      if (status) status.textContent = response.ok
        ? words(form, "textSaved", "Your answers are saved. You can close this page and come back to finish.")
        : words(form, "textSavedHere", "Your answers are saved on this device.");
    } catch {
      if (status) status.textContent = words(form, "textOffline", "Your answers are saved on this device. We will send them when you press the button.");
    }
  }
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(save, 600);
  }
  form.addEventListener("change", soon);
  form.addEventListener("input", soon);
  // Sending: keep the local copy until the thank-you page, and start no more autosaves.
  form.addEventListener("submit", () => {
    clearTimeout(timer);
    localStorage.setItem(storageKey, JSON.stringify({ key: keyInput.value, answers: answersOf(form) }));
  });
}

// The thank-you page forgets this device's copy (the answers have been sent) and, for an
// open link, remembers that this device has answered. A flag on the device, not a cookie:
// it is a courtesy against answering twice by accident, not a guarantee.
document.querySelectorAll("[data-clear-storage]").forEach((block) => {
  localStorage.removeItem(block.dataset.clearStorage);
  if (block.dataset.markAnswered) localStorage.setItem(block.dataset.markAnswered, "1");
});
const answeredForm = document.querySelector("form[data-answered-url]");
if (answeredForm && localStorage.getItem(answeredForm.dataset.answeredKey) && !answeredForm.hasAttribute("data-server-answers")) {
  window.location.replace(answeredForm.dataset.answeredUrl);
}

// Long questionnaires: one section a page, with progress. Without scripts, all sections show.
if (pagedForm) {
  const sections = Array.from(pagedForm.querySelectorAll("[data-section]"));
  const submit = pagedForm.querySelector("button[type=submit], input[type=submit]");
  const progress = document.createElement("p");
  progress.className = "govuk-caption-m sv-progress";
  progress.setAttribute("aria-live", "polite");
  pagedForm.prepend(progress);
  const nav = document.createElement("div");
  nav.className = "govuk-button-group";
  const back = document.createElement("button");
  back.type = "button";
  back.className = "govuk-button govuk-button--secondary";
  back.textContent = words(pagedForm, "textPrevious", "Previous section");
  const next = document.createElement("button");
  next.type = "button";
  next.className = "govuk-button";
  next.textContent = words(pagedForm, "textNext", "Next section");
  nav.append(back, next);
  submit.before(nav);
  let current = 0;
  function show(index, focus) {
    current = index;
    sections.forEach((section, i) => { section.hidden = i !== index; });
    progress.textContent = words(pagedForm, "textProgress", "Section {current} of {total}")
      .replace("{current}", String(index + 1)).replace("{total}", String(sections.length));
    back.hidden = index === 0;
    next.hidden = index === sections.length - 1;
    submit.hidden = index !== sections.length - 1;
    if (focus) {
      const heading = sections[index].querySelector("h2");
      if (heading) {
        heading.tabIndex = -1;
        heading.focus();
      }
      window.scrollTo(0, 0);
    }
  }
  back.addEventListener("click", () => show(current - 1, true));
  next.addEventListener("click", () => show(current + 1, true));
  show(0, false);
}
