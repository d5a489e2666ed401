// Below each KRW amount input, the amount as people read it (12,345,000원) while it is typed.
document.querySelectorAll("[data-krw-preview]").forEach(function (preview) {
  var input = document.getElementById(preview.dataset.krwPreview);
  var pattern = preview.dataset.krwPattern;
  if (!input || !pattern) return;
  input.addEventListener("input", function () {
    var digits = input.value.trim();
    preview.textContent = /^\d+$/.test(digits)
      ? pattern.replace("%(amount)s", Number(digits).toLocaleString("en-US"))
      : "";
  });
});
