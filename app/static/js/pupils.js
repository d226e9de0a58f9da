// Pupils in class: read each question aloud, and leave nothing behind for the next pupil.
const pupilForm = document.querySelector("form[data-pupil]");

if (pupilForm && "speechSynthesis" in window) {
  pupilForm.querySelectorAll("[data-read-aloud]").forEach((question) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "govuk-button govuk-button--secondary sv-read-aloud";
    button.textContent = pupilForm.dataset.textReadAloud || "Read it to me";
    button.addEventListener("click", () => {
      window.speechSynthesis.cancel();
      const parts = [question.dataset.readAloud];
      question.querySelectorAll("label").forEach((label) => parts.push(label.textContent.trim()));
      const utterance = new SpeechSynthesisUtterance(parts.join(". "));
      // The question's own language: a Welsh page may fall back to English for some questions.
      utterance.lang = question.dataset.readAloudLang || pupilForm.dataset.speechLang || "en-GB";
      utterance.rate = 0.9;
      window.speechSynthesis.speak(utterance);
    });
    question.prepend(button);
  });
}

// The join screen is where a shared device comes back to: clear anything a page may have kept.
if (document.querySelector("[data-reset-device]")) {
  try {
    sessionStorage.clear();
    Object.keys(localStorage).filter((key) => key.startsWith("sv:")).forEach((key) => localStorage.removeItem(key));
  } catch {
    // Storage can be switched off; then there is nothing to clear.
  }
  if ("speechSynthesis" in window) window.speechSynthesis.cancel();
}

// The teacher's board: joins and completions, polled every few seconds (counts only).
const board = document.querySelector("[data-session-status]");
if (board) {
  const refresh = async () => {
    try {
      const response = await fetch(board.dataset.sessionStatus, { credentials: "same-origin" });
      if (!response.ok) return;
      const counts = await response.json();
      document.querySelectorAll("[data-count]").forEach((cell) => {
        cell.textContent = String(counts[cell.dataset.count]);
      });
      if (!counts.open) window.location.reload();
      else setTimeout(refresh, 4000);
    } catch {
      setTimeout(refresh, 10000);
    }
  };
  if (board.querySelector(".sv-board__code")) setTimeout(refresh, 4000);
}
