// The Inspector toolbar toggle's value, and the inspection observer it turns on (created once per page).
import { createBrowserInspector } from '@statelyai/inspect';
import { createContext } from 'react';
import type { RegistryOptions } from '../../src/index';

export const InspectorContext = createContext(false);

let inspector: ReturnType<typeof createBrowserInspector> | null = null;

/** The `inspect` option for a story's registry: the Stately browser inspector when the toggle is on. */
export function inspectOption(on: boolean): RegistryOptions['inspect'] {
  if (!on) return undefined;
  inspector ??= createBrowserInspector();
  return inspector.inspect;
}
