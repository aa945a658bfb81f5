// Types of validate-config.js, which build-validator.js generates into dist/ after tsc.
// Declared here so that validate.ts type-checks before the generated file exists.
import type { ErrorObject } from 'ajv'

/** ajv's standalone validator for configSchema: true when valid, else the failure is on `.errors`. */
export declare const validateConfig: ((doc: unknown) => boolean) & { errors?: ErrorObject[] | null }

/** configSchema as JSON, so error wording needs no second module at run time. */
export declare const configSchema: { definitions: Record<string, unknown>; [keyword: string]: unknown }
