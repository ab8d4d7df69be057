// The stories' data shapes, registered so every verity-xstate/react hook in the stories is typed with them.
import type { Registry } from '../../src/index';

export type TodoLevel = 'default' | 'summary' | 'detail';

export interface Todo {
  readonly id: string;
  readonly title: string;
  readonly owner: string;
  readonly status: 'open' | 'done';
  readonly detail?: string;
}

// A type alias, not an interface: collection params are records (an alias gets the implicit index signature).
export type TodoFilter = {
  readonly owner?: string;
  readonly status?: string;
};

export interface StorySchema {
  types: { todo: Todo };
  collections: { todos: { params: TodoFilter } };
}

declare module '../../src/react/schema' {
  interface Register {
    registry: Registry<StorySchema>;
  }
}
