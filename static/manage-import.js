// Import a staff list.
// On the upload form: say the file is uploading once it is sent.
// On a background import's page: ask for progress every second, show it, and move on to the
// result (or the problems) when the import ends. Screen readers hear each new step once, not
// every number.
const form = document.getElementById("import-form");
const uploading = document.getElementById("import-progress");
if (form && uploading) {
  form.addEventListener("submit", () => {
    uploading.hidden = false;
  });
}

const job = document.getElementById("import-job");
if (job) {
  const bar = document.getElementById("import-bar");
  const step = document.getElementById("import-step");
  const announce = document.getElementById("import-announce");
  const refresh = document.getElementById("import-refresh");
  const stepName = (text) => text.split(":")[0];
  let lastAnnounced = stepName(announce.textContent.trim());
  if (refresh) {
    refresh.parentElement.hidden = true; // this page refreshes itself
  }

  const poll = async () => {
    try {
      const response = await fetch(job.dataset.progressUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok && response.headers.get("Content-Type").startsWith("application/json")) {
        const progress = await response.json();
        if (progress.finished) {
          window.location.assign(progress.next);
          return;
        }
        bar.value = progress.percent;
        bar.textContent = `${progress.percent}%`;
        step.textContent = progress.step;
        if (stepName(progress.step) !== lastAnnounced) {
          lastAnnounced = stepName(progress.step);
          announce.textContent = progress.step;
        }
      }
    } catch {
      // A dropped connection: try again at the next tick.
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 500);
}
