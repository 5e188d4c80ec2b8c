// Same marker as RESULT_PREFIX in lib.ts, for the plain-JavaScript child (run without tsx).
export const RESULT_PREFIX_LINE = 'TVUNET_BENCH_RESULT ';
