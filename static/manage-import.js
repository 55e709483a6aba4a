// Import a staff list: say that a large file is being checked while the upload runs.
const form = document.getElementById("import-form");
const progress = document.getElementById("import-progress");
if (form && progress) {
  form.addEventListener("submit", () => {
    progress.hidden = false;
  });
}
