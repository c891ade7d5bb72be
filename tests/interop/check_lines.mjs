// One line per interop check: "PASS  <name>  <detail>" or "FAIL  <name>
// <why>"; done() exits 1 when any failed.
let failed = 0;

export async function check(name, fn) {
  try {
    const detail = await fn();
    console.log(`PASS  ${name.padEnd(44)} ${detail ?? ''}`);
  } catch (e) {
    failed++;
    console.log(`FAIL  ${name.padEnd(44)} ${e?.stack ?? e}`);
  }
}

export function done() {
  process.exit(failed ? 1 : 0);
}
