/**
 * `@stepwise/tasks/openapi`: Swagger UI and the OpenAPI document for the host app. Stepwise's
 * routes carry OpenAPI decorators, so a host that builds its own document with
 * `SwaggerModule.createDocument` gets them too.
 */
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/**
 * Serves the OpenAPI document of the host app (Stepwise's routes included)
 * with Swagger UI at `/{path}` and the JSON at `/{path}-json`. Call it from
 * `main.ts` before `app.listen()`; returns the document, e.g. to write it out.
 */
export function setupOpenApi(app: INestApplication, path = 'docs'): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Stepwise')
    .setDescription(
      'Durable background tasks. Submit with `POST /tasks/{type}` (202 + Location), poll `GET /tasks/{id}`, ' +
        'then read `GET /tasks/{id}/result` or `GET /tasks/{id}/download`. ' +
        'Errors are `{ statusCode, error, message, details? }`.',
    )
    .setVersion('1')
    .addTag('tasks', 'Submit, follow, cancel and fetch the results of tasks')
    // The credentials of TASKS_AUTH (an API key or a JWT, both as a bearer token) or of the host's guards:
    // Swagger UI's Authorize button sends them with every "Try it out"; without them those calls answer 401.
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key (swk_...) or a JWT' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'An API key' }, 'api-key')
    .addSecurityRequirements('bearer')
    .addSecurityRequirements('api-key')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup(path, app, document);
  return document;
}
