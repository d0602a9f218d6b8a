// Progressive enhancement only: every page works without this file.
// On the filing form, suggest registered businesses as the name is typed.
(function () {
  var input = document.querySelector('[data-business-search]');
  if (!input || !window.fetch) return;
  var list = document.getElementById('business-options');
  var hidden = document.getElementById('business_id');
  var found = [];
  var timer = null;
  input.addEventListener('input', function () {
    hidden.value = '';
    var match = found.filter(function (b) { return b.name === input.value; })[0];
    if (match) { hidden.value = match.id; return; }
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) return;
    timer = setTimeout(function () {
      fetch('/businesses/search?q=' + encodeURIComponent(q), { credentials: 'same-origin' })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          found = data.items || [];
          list.innerHTML = '';
          found.forEach(function (b) {
            var option = document.createElement('option');
            option.value = b.name;
            if (b.tax_id) option.label = b.name + ' (' + b.tax_id + ')';
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }, 250);
  });
})();
