// Progressive enhancement for Stakeholder Voice pages (no inline scripts, no user text in innerHTML).
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();

// Show a question only when the answer it depends on is given (the server checks this too).
function updateConditions() {
  document.querySelectorAll("[data-condition-question]").forEach((block) => {
    const name = "q_" + block.dataset.conditionQuestion;
    const wanted = block.dataset.conditionValues.split(",");
    const chosen = Array.from(document.querySelectorAll(`input[name="${name}"]:checked`)).map((i) => i.value);
    block.hidden = !chosen.some((value) => wanted.includes(value));
  });
}

document.addEventListener("change", updateConditions);
updateConditions();

import "./answers.js";
import "./pupils.js";
import "./invitations.js";
