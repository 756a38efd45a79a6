// abi.mjs - binds the shared object's functions with koffi from the
// signatures the manifest declares (abi.symbols, abi.typeNotes), so the
// bridge never assumes a signature the library does not publish.
import koffi from 'koffi';

// The manifest's type names -> koffi types. string_owned results are turned
// into JS strings and released with the manifest's freeSymbol at once.
const SCALARS = {
  void: 'void', int32: 'int32_t', uint32: 'uint32_t', int64: 'int64_t',
  pointer: 'void *', string: 'const char *', string_static: 'const char *',
  buffer: '_Out_ uint8_t *', callback: 'void *',
};

// The functions the bridge calls; each must be declared by the manifest.
const NEEDED = ['agentos_ext_abi_version', 'agentos_ext_open', 'agentos_ext_list_tools',
  'agentos_ext_submit', 'agentos_ext_job_poll', 'agentos_ext_job_result',
  'agentos_ext_job_cancel', 'agentos_ext_free', 'agentos_ext_close'];

let ownedStringCount = 0;

/**
 * Loads `library` and returns {name: function} for every symbol the bridge
 * needs, typed from `abi`. Throws naming the symbol when one is missing or
 * uses a type the bridge does not know.
 */
export function bindAbi(library, abi) {
  const lib = koffi.load(library);
  const bySymbol = new Map(abi.symbols.map((s) => [s.name, s]));
  const freeDecl = bySymbol.get(abi.freeSymbol);
  if (!freeDecl) throw new Error(`manifest declares no freeSymbol ${abi.freeSymbol}`);
  const free = lib.func(abi.freeSymbol, 'void', ['void *']);
  const ownedString = koffi.disposable(`ig_owned_string_${ownedStringCount++}`, 'str', free);
  const typeOf = (name, where) => {
    if (name === 'string_owned') return ownedString;
    const t = SCALARS[name];
    if (!t) throw new Error(`${where}: type "${name}" is not one the bridge can call`);
    return t;
  };
  const fns = {};
  for (const name of NEEDED) {
    const decl = bySymbol.get(name);
    if (!decl) throw new Error(`manifest does not declare ${name}`);
    fns[name] = lib.func(name, typeOf(decl.returns, name),
      decl.params.map((p) => typeOf(p.type, `${name}(${p.name})`)));
  }
  const version = fns.agentos_ext_abi_version();
  if (version !== abi.version) {
    throw new Error(`${library} speaks ABI ${version}, its manifest says ${abi.version}`);
  }
  return fns;
}
