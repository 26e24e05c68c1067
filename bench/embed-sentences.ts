// bench/embed.ts's sentences, shared with bench/embed-threads.ts: the same seeded texts in both.

const WORDS = `the a of to and in is was for on that with as it by at from he she they we this be are were not
but have has had will would can could said new one two people city year years day today week time
world market markets price prices company report news government court police school house home car
train weather rain storm heat cold water food music film star team game season players coach win lost
sales growth plan law vote voters election council minister president leaders talks deal trade oil bank
rates jobs workers union strike farmers harvest doctors hospital patients study scientists researchers
children parents family friends dog cat garden river bridge road airport flight museum art book library
open opened closed rises fell higher lower after before during amid over under across near first last
record local national global small large long short early late quick slow quiet busy bright dark`.split(/\s+/);

/** mulberry32: a seeded generator, so every run embeds the same texts. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Distinct short sentences (5 to 14 words): the proxy embeds each distinct text once, Python every one. */
export function sentences(count: number): string[] {
  const random = seeded(42);
  const out = new Set<string>();
  while (out.size < count) {
    const words = Array.from({ length: 5 + Math.floor(random() * 10) }, () => WORDS[Math.floor(random() * WORDS.length)]!);
    const text = words.join(' ');
    out.add(`${text[0]!.toUpperCase()}${text.slice(1)}.`);
  }
  return [...out];
}
