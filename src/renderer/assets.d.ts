// Vite asset imports (ambient: this file has no imports or exports).
declare module '*?worker' {
  const WorkerConstructor: { new (options?: { name?: string }): Worker };
  export default WorkerConstructor;
}
