import { defineRoute, type RouteSpec } from '../http/httpHandler.js';
import { topicParam } from '../http/params.js';
import { noContent, ok } from '../http/response.js';
import { alterTopicSchema, createTopicSchema, topicBodyErrorCode } from './topicConfig.js';
import type { TopicRegistry } from './TopicRegistry.js';

/** `/v1/topics` routes (docs/http.md, Topics): parse, check rights, call the registry. */
export function topicRoutes(topics: TopicRegistry): Record<string, RouteSpec<unknown, unknown>> {
  return {
    'POST /v1/topics': defineRoute({
      body: createTopicSchema,
      invalidBodyCode: topicBodyErrorCode,
      async handle({ body, authorize }) {
        authorize({ type: 'topic', name: body.name }, 'admin');
        return ok(await topics.create(body), 201);
      },
    }),
    'GET /v1/topics': defineRoute({
      async handle({ can }) {
        const all = await topics.list();
        // Like Kafka, a listing shows only the topics the caller may describe.
        return ok({ topics: all.filter((topic) => can({ type: 'topic', name: topic.name }, 'describe')) });
      },
    }),
    'GET /v1/topics/{topic}': defineRoute({
      async handle({ params, authorize }) {
        const name = topicParam(params);
        authorize({ type: 'topic', name }, 'describe');
        return ok(await topics.describe(name));
      },
    }),
    'PATCH /v1/topics/{topic}': defineRoute({
      body: alterTopicSchema,
      invalidBodyCode: topicBodyErrorCode,
      async handle({ params, body, authorize }) {
        const name = topicParam(params);
        authorize({ type: 'topic', name }, 'admin');
        return ok(await topics.alter(name, body));
      },
    }),
    'DELETE /v1/topics/{topic}': defineRoute({
      async handle({ params, authorize }) {
        const name = topicParam(params);
        authorize({ type: 'topic', name }, 'admin');
        await topics.delete(name);
        return noContent();
      },
    }),
  };
}
