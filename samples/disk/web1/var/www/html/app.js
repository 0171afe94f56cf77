document.addEventListener("DOMContentLoaded", function () {
  var h = document.querySelector("h1");
  if (h) h.title = "served by web1";
});
