/** The shell: the key screen until a key is pasted, then the navigation and the screen the hash names. */
import { useMemo, useState } from 'preact/hooks';
import { createApi, type Api } from './api.js';
import { forgetKey, loadKey, saveKey } from './keyStore.js';
import { href, navigate, useRoute, type Route } from './router.js';
import { GroupScreen, GroupsScreen } from './screens/GroupsScreen.js';
import { KeyScreen } from './screens/KeyScreen.js';
import { KeysScreen } from './screens/KeysScreen.js';
import { MessagesScreen } from './screens/MessagesScreen.js';
import { OverviewScreen } from './screens/OverviewScreen.js';
import { ProduceScreen } from './screens/ProduceScreen.js';
import { SubscriptionScreen, SubscriptionsScreen } from './screens/SubscriptionsScreen.js';
import { TopicScreen } from './screens/TopicScreen.js';
import { TopicsScreen } from './screens/TopicsScreen.js';

const NAV = [
  ['overview', 'Overview'],
  ['topics', 'Topics'],
  ['messages', 'Messages'],
  ['produce', 'Produce'],
  ['groups', 'Groups'],
  ['subscriptions', 'Subscriptions'],
  ['keys', 'Keys'],
] as const;

function Screen({ api, route }: { api: Api; route: Route }) {
  const [section = 'overview', name] = route.parts;
  switch (section) {
    case 'overview':
      return <OverviewScreen api={api} />;
    case 'topics':
      return name === undefined ? <TopicsScreen api={api} /> : <TopicScreen key={name} api={api} name={name} />;
    case 'messages':
      return <MessagesScreen key={route.query.toString()} api={api} query={route.query} />;
    case 'produce':
      return <ProduceScreen key={route.query.toString()} api={api} query={route.query} />;
    case 'groups':
      return name === undefined ? <GroupsScreen api={api} /> : <GroupScreen key={name} api={api} name={name} />;
    case 'subscriptions':
      return name === undefined ? <SubscriptionsScreen api={api} /> : <SubscriptionScreen key={name} api={api} name={name} />;
    case 'keys':
      return <KeysScreen api={api} />;
    default:
      return (
        <p role="alert" class="error">
          no such screen: {section}. <a href={href('overview')}>Go to the overview</a>
        </p>
      );
  }
}

export function App() {
  const [key, setKey] = useState(loadKey);
  const route = useRoute();
  const api = useMemo(() => (key === undefined ? undefined : createApi(key)), [key]);
  if (api === undefined) {
    return (
      <KeyScreen
        onKey={(k) => {
          saveKey(k);
          setKey(k);
        }}
      />
    );
  }
  const current = route.parts[0] ?? 'overview';
  return (
    <>
      <header>
        <a class="brand" href={href('overview')}>
          Brook Console
        </a>
        <nav aria-label="screens">
          {NAV.map(([id, label]) => (
            <a key={id} href={href(id)} aria-current={current === id ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <button
          type="button"
          onClick={() => {
            forgetKey();
            setKey(undefined);
            navigate(href('overview'));
          }}
        >
          sign out
        </button>
      </header>
      <main>
        <Screen api={api} route={route} />
      </main>
    </>
  );
}
