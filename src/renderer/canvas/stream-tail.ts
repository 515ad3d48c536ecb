/** The last `lines` lines of a stream (the card shows the tail, the inspector everything). */
export function streamTail(text: string, lines = 2, maxChars = 240): string {
  const tail = text.length > maxChars * 2 ? text.slice(-maxChars * 2) : text;
  const parts = tail.split('\n');
  const kept = parts.slice(-lines).join('\n');
  return kept.length > maxChars ? `…${kept.slice(-maxChars)}` : kept;
}
