// A small WGSL builder: `#if NAME` / `#elif NAME` / `#else` / `#endif` blocks and `${NAME}` substitution,
// so one .wgsl file can serve f16 and f32 weights and fill constants that cannot be overrides.

export type Defines = Record<string, boolean | number | string>;

export function buildWgsl(source: string, defines: Defines = {}): string {
  const out: string[] = [];
  // stack of [parentActive, thisBranchActive, anyBranchTaken]
  const stack: Array<[boolean, boolean, boolean]> = [];
  let active = true;
  const truthy = (name: string): boolean => {
    const neg = name.startsWith('!');
    const key = neg ? name.slice(1) : name;
    const v = Boolean(defines[key]);
    return neg ? !v : v;
  };
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const m = /^\s*#(if|elif|else|endif)\b\s*(\S*)/.exec(line);
    if (!m) {
      if (active) out.push(line);
      continue;
    }
    const [, dir, arg] = m;
    if (dir === 'if') {
      const t: boolean = active && truthy(arg);
      stack.push([active, t, t]);
      active = t;
    } else if (dir === 'elif' || dir === 'else') {
      const top = stack[stack.length - 1];
      if (!top) throw new Error(`WGSL builder: #${dir} without #if at line ${i + 1}`);
      const t: boolean = top[0] && !top[2] && (dir === 'else' || truthy(arg));
      top[1] = t;
      top[2] = top[2] || t;
      active = t;
    } else {
      const top = stack.pop();
      if (!top) throw new Error(`WGSL builder: #endif without #if at line ${i + 1}`);
      active = top[0];
    }
  }
  if (stack.length) throw new Error('WGSL builder: unterminated #if');
  return out.join('\n').replace(/\$\{(\w+)\}/g, (_, k: string) => {
    if (!(k in defines)) throw new Error(`WGSL builder: no value for \${${k}}`);
    return String(defines[k]);
  });
}
