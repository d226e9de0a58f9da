// Live numbers for the invitation and response-rate pages: poll a JSON endpoint, set textContent only.

const POLL_MS = { progress: 2000, rates: 10000 };

async function fetchJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!response.ok) throw new Error(`${response.status}`);
  return response.json();
}

function showRate(cell, row) {
  if (!cell) return;
  const number = cell.querySelector("[data-rate-number]");
  const bar = cell.querySelector("[data-rate-bar]");
  const responses = cell.querySelector("[data-rate-responses]");
  const rate = row.response_rate;
  number.textContent = rate === null || rate === undefined ? "–" : `${Math.round(rate)}%`;
  bar.value = Math.min(rate || 0, 100);
  responses.textContent = String(row.responses);
}

function watchRates(table) {
  const url = table.dataset.ratesUrl;
  const interval = Number(table.dataset.interval || POLL_MS.rates);
  const tick = async () => {
    try {
      const data = await fetchJson(url);
      data.schools.forEach((row) => showRate(table.querySelector(`[data-rate-school="${row.school_id}"]`), row));
      if (data.total) showRate(table.querySelector('[data-rate-school="all"]'), data.total);
    } catch (error) {
      // A missed poll is harmless: the next one catches up.
    }
    window.setTimeout(tick, interval);
  };
  window.setTimeout(tick, interval);
}

function watchProgress(section) {
  const url = section.dataset.progressUrl;
  const summary = section.querySelector("[data-progress-summary]");
  const refresh = section.querySelector("[data-progress-refresh]");
  if (refresh) refresh.hidden = true;
  const tick = async () => {
    let data;
    try {
      data = await fetchJson(url);
    } catch (error) {
      window.setTimeout(tick, POLL_MS.progress * 2);
      return;
    }
    section.querySelectorAll("[data-progress-count]").forEach((cell) => {
      cell.textContent = String(data[cell.dataset.progressCount]);
    });
    section.querySelector("[data-progress-bar]").value = data.percent;
    if (data.total) {
      summary.textContent = `${data.total - data.queued - data.sending} of ${data.total} emails processed (${data.percent}%)${data.done ? "" : "; still sending"}.`;
    }
    if (!data.done) window.setTimeout(tick, POLL_MS.progress);
  };
  tick();
}

document.querySelectorAll('[data-module="sv-live-rates"][data-live]').forEach(watchRates);
document.querySelectorAll('[data-module="sv-send-progress"]').forEach(watchProgress);
