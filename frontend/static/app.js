// Small improvements on top of pages that work without JavaScript.
(function () {
  'use strict';
  // Show the chosen photo before it is sent (a data: URL, which the CSP allows).
  document.querySelectorAll('input[type=file][data-preview]').forEach(function (input) {
    var img = document.getElementById(input.getAttribute('data-preview'));
    if (!img) return;
    input.addEventListener('change', function () {
      var f = input.files && input.files[0];
      if (!f || !window.FileReader) { img.hidden = true; return; }
      var r = new FileReader();
      r.onload = function () { img.src = r.result; img.hidden = false; };
      r.readAsDataURL(f);
    });
  });
  // Fair-price hint: recompute the lowest fair price as hours and materials change. The server
  // computes the same (and is the one that decides); this only saves a round trip.
  var hint = document.getElementById('fair-hint');
  if (hint) {
    var wage = +hint.getAttribute('data-wage'), share = +hint.getAttribute('data-share'),
        feeBP = +hint.getAttribute('data-fee-bp'), feeFixed = +hint.getAttribute('data-fee-fixed'),
        tpl = hint.getAttribute('data-template'), sym = hint.getAttribute('data-symbol') || '';
    var hours = document.getElementById('f-hours'), mats = document.getElementById('f-materials');
    var money = function (minor) {
      var whole = Math.floor(minor / 100), s = String(whole), out = '';
      if (s.length > 3) {
        out = ',' + s.slice(-3); s = s.slice(0, -3);
        while (s.length > 2) { out = ',' + s.slice(-2) + out; s = s.slice(0, -2); }
        out = s + out;
      } else { out = s; }
      return sym + out + '.' + String(minor % 100).padStart(2, '0');
    };
    var update = function () {
      var h = parseFloat((hours && hours.value) || '0'), m = Math.round(parseFloat(((mats && mats.value) || '0').replace(/,/g, '')) * 100) || 0;
      if (!(h > 0)) return;
      var need = Math.ceil(wage * Math.round(h * 60) / 60);
      var keep = 1 - share / 100 - feeBP / 10000;
      if (keep <= 0) return;
      var est = Math.ceil((need + m + feeFixed) / keep), p = Math.max(1, est - 3);
      var makerShare = function (x) { return x - m - Math.ceil(x * share / 100) - (Math.ceil(x * feeBP / 10000) + feeFixed); };
      while (p < est + 100 && makerShare(p) < need) p++;
      hint.textContent = tpl.replace('%s', money(p));
    };
    if (hours) hours.addEventListener('input', update);
    if (mats) mats.addEventListener('input', update);
  }
})();
// The packing slip's "Print" button (hidden without JavaScript: the browser's own menu prints).
document.querySelectorAll('button[data-print]').forEach(function (b) {
  b.hidden = false;
  b.addEventListener('click', function () { window.print(); });
});
// Follow the "continue to payment" link at once (a script navigation, which the form-action
// policy does not cover); without JavaScript the person presses the link.
(function () {
  var go = document.querySelector('a[data-go]');
  if (go) window.location.assign(go.href);
})();
