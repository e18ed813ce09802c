// Escaping for everything that came from a trace (comm names, file names, variant names).

const HTML_ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value for HTML: a comm of `<script>` renders as text. */
export function escapeHtml(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => HTML_ESC[c]);
}

/** JSON that is safe inside a <script> element: no `</script>`, `<!--`, or line separators that end a JS string. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Library source inlined into <script>: break any `</script` or `<!--` so the element cannot end early. */
export function scriptSource(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}
