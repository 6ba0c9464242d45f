// Shared by the interop scripts: named cases with PASS/FAIL lines and the checks they make.
'use strict';

function check(cond, what) {
  if (!cond) {
    throw new Error('expected ' + what);
  }
}

function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) {
    throw new Error(what + ': expected ' + e + ', got ' + a);
  }
}

// Runs one named case and records {name, ok, error} in out.cases.
async function run(out, name, fn) {
  try {
    await fn();
    out.cases.push({ name, ok: true });
    console.log('PASS ' + name);
  } catch (e) {
    out.cases.push({ name, ok: false, error: String(e && e.message || e) });
    console.log('FAIL ' + name + ': ' + (e && e.message || e));
  }
}

// A decoded value as plain JSON: longs (bigint) as decimal strings, Buffers as byte arrays.
function plain(v) {
  return JSON.parse(JSON.stringify(v, (k, x) => {
    if (typeof x === 'bigint') {
      return x.toString();
    }
    if (x && x.type === 'Buffer' && Array.isArray(x.data)) {
      return x.data;
    }
    return x;
  }));
}

module.exports = { check, eq, run, plain };
