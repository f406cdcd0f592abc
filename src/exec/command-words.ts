/**
 * ExecuteCommand's `command` is one string; it runs without a shell (as on AWS: `sh -c "…"`
 * is how a user asks for one), split into words the way a shell would split plain words:
 * blanks separate, single quotes keep everything, double quotes keep all but `\"` and `\\`,
 * a backslash outside quotes escapes the next character. No expansion of any kind.
 */
export function commandWords(command: string): string[] | { error: string } {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const add = (s: string) => { word = (word ?? '') + s; };
  while (i < command.length) {
    const ch = command[i]!;
    if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (ch === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) return { error: 'the command has an unterminated single quote' };
      add(command.slice(i + 1, end));
      i = end + 1;
    } else if (ch === '"') {
      let j = i + 1;
      let s = '';
      for (; j < command.length && command[j] !== '"'; j++) {
        if (command[j] === '\\' && (command[j + 1] === '"' || command[j + 1] === '\\')) j++;
        s += command[j];
      }
      if (j >= command.length) return { error: 'the command has an unterminated double quote' };
      add(s);
      i = j + 1;
    } else if (ch === '\\' && i + 1 < command.length) {
      add(command[i + 1]!);
      i += 2;
    } else {
      add(ch);
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
