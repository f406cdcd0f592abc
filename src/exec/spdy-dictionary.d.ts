// spdy-transport ships no types; this is the one module of it Berth uses.
declare module 'spdy-transport/lib/spdy-transport/protocol/spdy/dictionary.js' {
  /** SPDY's header-compression dictionaries by protocol version ('2', '3', '3.1'). */
  const dictionaries: Record<string, Buffer>;
  export default dictionaries;
}
