import { describe, expect, test } from 'vitest';
import { escapeHtml, jsonForScript, scriptSource } from './escape.js';
import { buildReport } from './html.js';
import { sampleInput } from './sample_input.testlib.js';

const EVIL = '<script>alert(1)</script>';

describe('escaping', () => {
  test('escapeHtml turns markup into text', () => {
    expect(escapeHtml(EVIL)).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(escapeHtml(`a"b'c&d`)).toBe('a&quot;b&#39;c&amp;d');
  });

  test('jsonForScript leaves no <, >, & or line separators, and parses back to the same value', () => {
    const v = { comm: EVIL, f: 'a&b\u2028c\u2029d<!--' };
    const s = jsonForScript(v);
    expect(s).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(s)).toEqual(v);
  });

  test('scriptSource breaks an early </script> in inlined code', () => {
    expect(scriptSource('var a="</script><!--";')).toBe('var a="<\\/script><\\!--";');
  });

  test('a comm of <script>alert(1)</script> never reaches the page as markup', () => {
    const html = buildReport(sampleInput({ serverComm: EVIL, variantName: `v"><img src=x onerror=alert(2)>` }));
    // Booleans, not toContain: a failure must not print a 900 kB page.
    expect(html.includes(EVIL)).toBe(false);
    expect(html.includes('<img src=x')).toBe(false);
    // The variant name is in the summary table and the title line, as text.
    expect(html.includes('v&quot;&gt;&lt;img src=x onerror=alert(2)&gt;')).toBe(true);
    // The spec JSON carries the comm with < and > as \u003c / \u003e.
    expect(html.includes('\\u003cscript\\u003ealert(1)\\u003c/script\\u003e')).toBe(true);
    // Exactly our own script elements: the JSON block, three libraries, the boot script.
    expect(html.match(/<script[\s>]/g)?.length ?? 0).toBe(5);
    expect(html.match(/<\/script>/g)?.length ?? 0).toBe(5);
  });
});
