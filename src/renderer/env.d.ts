import type { StatepipeBridge } from '../contract/methods';

declare global {
  interface Window {
    /** Present in the desktop app (preload bridge); absent in the browser host. */
    statepipe?: StatepipeBridge;
  }
}

export {};
