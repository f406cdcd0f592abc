/**
 * Fields a JSON text names twice in one object (`{"data":{},"data":{}}`), which JSON.parse
 * silently folds into the last: the API server's strict decoding reports them as
 * `duplicate field "data"` (paths as in unknown-field errors: `spec.template.metadata`). Pure,
 * one pass over the text; the text is valid JSON (parsed already).
 */
export function duplicateFields(text: string): string[] {
  const out: string[] = [];
  /** Per open container: its keys (objects) or undefined (arrays), and its path. */
  const stack: { keys: Set<string> | undefined; path: string }[] = [];
  let expectKey = false;
  let lastKey = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const top = stack[stack.length - 1]!;
        if (top.keys!.has(key)) out.push(top.path === '' ? key : `${top.path}.${key}`);
        top.keys!.add(key);
        lastKey = key;
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      const parent = stack[stack.length - 1];
      const path = parent === undefined ? '' : parent.keys ? (parent.path === '' ? lastKey : `${parent.path}.${lastKey}`) : parent.path;
      stack.push({ keys: c === '{' ? new Set() : undefined, path });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1]?.keys !== undefined;
    }
  }
  return out;
}
