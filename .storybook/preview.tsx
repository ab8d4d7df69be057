// Story-wide settings: the msw worker with each story's handlers, and the Inspector toolbar toggle (the Stately
// inspector for the story's registry).
import type { Preview } from '@storybook/react-vite';
import { InspectorContext } from '../stories/support/inspector';
import { mswLoader } from './msw';

const preview: Preview = {
  globalTypes: {
    inspector: {
      description: 'Watch the registry in the Stately inspector (opens a window; reload the story)',
      toolbar: {
        title: 'Inspector',
        icon: 'eye',
        items: [
          { value: 'off', title: 'Inspector off' },
          { value: 'on', title: 'Inspector on' },
        ],
        dynamicTitle: true,
      },
    },
  },
  initialGlobals: { inspector: 'off' },
  loaders: [mswLoader],
  decorators: [
    (Story, context) => (
      <InspectorContext.Provider value={context.globals.inspector === 'on'}>
        <Story />
      </InspectorContext.Provider>
    ),
  ],
};

export default preview;
