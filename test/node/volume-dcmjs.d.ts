/** dcmjs ships no type declarations; the tests use only `data.datasetToBuffer`. */
declare module 'dcmjs' {
  const dcmjs: {
    data: { datasetToBuffer(dataset: Record<string, unknown>): Uint8Array };
    log: { setLevel(level: string): void };
  };
  export default dcmjs;
}
