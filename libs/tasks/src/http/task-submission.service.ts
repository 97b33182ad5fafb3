import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { TaskDefinition } from '../definition';
import { requestFingerprint } from '../engine/request-fingerprint';
import { TaskEngine, type SubmitResult } from '../engine/task-engine';
import type { ResolvedOptions } from '../core/resolved-options';
import { OBJECT_STORAGE, RESOLVED_OPTIONS } from '../core/tokens';
import type { ObjectStorage } from '../ports';
import { badRequest, unsupportedMediaType } from '../web/http-error';
import { OwnerQuotas } from '../web/owner-quotas';
import { assertStorableInput } from './input-guard';
import { multipartInput } from './multipart-input';
import { FILES_FIELD, readMultipart } from './multipart-reader';
import { hasBody, isJsonMediaType, mediaTypeOf, readJsonBody } from './request-body';
import type { SubmitOptions } from './submit-options';

/** A submit as the controller hands it over: the type is known to be well-formed. */
export interface SubmitCall extends SubmitOptions {
  type: string;
  owner: string;
  /** Who submits, for the audit trail: the caller. */
  actor?: string;
  /** The owner's `activeTasks` quota (`SubmitRequest.maxActive`). */
  maxActive?: number;
}

/**
 * `POST /tasks/{type}`: reads the body (JSON, or multipart with files
 * streamed to storage under a pre-allocated id) and submits the task. A
 * multipart submit that fails for any reason leaves nothing in storage.
 */
@Injectable()
export class TaskSubmissionService {
  private readonly logger = new Logger('Stepwise HTTP');

  constructor(
    private readonly engine: TaskEngine,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    private readonly quotas: OwnerQuotas,
  ) {}

  async submit(req: IncomingMessage, call: SubmitCall): Promise<SubmitResult> {
    // Known to exist (the controller's pipe checked); nothing of the body is read before this.
    const definition = this.engine.definition(call.type);
    // Before the body is read: a refused submit stores no file.
    await this.quotas.assertSubmit(call.owner);
    // Checked again, exactly, where the task is inserted: submits racing this one may have taken the last slot.
    call = { ...call, maxActive: this.quotas.maxActive };
    const mediaType = mediaTypeOf(req);
    if (mediaType === 'multipart/form-data') {
      if (!definition.acceptsFiles) {
        throw unsupportedMediaType(`Task type "${definition.name}" does not accept files; send application/json`);
      }
      return this.submitMultipart(req, call);
    }
    if (isJsonMediaType(mediaType) || (mediaType === undefined && !hasBody(req))) {
      return this.submitJson(req, call, definition);
    }
    throw unsupportedMediaType(
      definition.acceptsFiles ? 'Send application/json or multipart/form-data' : 'Send application/json',
    );
  }

  private async submitJson(req: IncomingMessage, call: SubmitCall, definition: TaskDefinition): Promise<SubmitResult> {
    const input = await readJsonBody(req);
    assertStorableInput(input);
    // Stored keys are only ever named by the upload path: a JSON `files` could point at another task's objects.
    if (definition.acceptsFiles && typeof input === 'object' && input !== null && Object.hasOwn(input, FILES_FIELD)) {
      throw badRequest(`"${FILES_FIELD}" must be sent as multipart file parts`, [
        { field: FILES_FIELD, message: 'must be sent as multipart file parts' },
      ]);
    }
    return this.engine.submit({ ...call, input });
  }

  private async submitMultipart(req: IncomingMessage, call: SubmitCall): Promise<SubmitResult> {
    // The id exists before the task does, so that the files land where the task will look.
    const id = randomUUID();
    const prefix = `tasks/${id}/`;
    try {
      const payload = await readMultipart(req, this.storage, { prefix, limits: this.options.uploads });
      const input = multipartInput(payload);
      assertStorableInput(input);
      // A retry stores its files under a new id: the request is what was sent, not where it landed.
      const sent = { ...input, [FILES_FIELD]: payload.files.map(({ key: _key, ...file }) => file) };
      const fingerprint = requestFingerprint(call.type, sent);
      const result = await this.engine.submit({ ...call, id, input, fingerprint });
      // An idempotent replay returns the earlier task: these copies belong to nobody.
      if (result.task.id !== id) await this.discard(prefix);
      return result;
    } catch (error) {
      await this.discard(prefix);
      throw error;
    }
  }

  /** Best effort: a failed cleanup must not hide the error the client needs to see. */
  private async discard(prefix: string): Promise<void> {
    try {
      await this.storage.deletePrefix(prefix);
    } catch (error) {
      this.logger.error(`could not delete ${prefix} after a failed submit: ${String(error)}`);
    }
  }
}
