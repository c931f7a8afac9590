/// <reference types="@webgpu/types" preserve="true" />
/**
 * `webgpu-face-reshape/compat`: the retired cloud API, on the device. The same fields in, the same
 * envelope and codes out (contract sections 4 and 5), three ways: call `facialAesthetics()`, let
 * `installCloudRoute()` answer `fetch()` calls to the cloud URL in the page, or build a server on
 * `runFacialAesthetics()` and the checks and envelopes below (the `face-reshape` package does).
 * The envelope helpers, checks and codes need no DOM and run in Node too.
 */
export {
  facialAesthetics,
  runFacialAesthetics,
  sharedReshaper,
  closeSharedReshaper,
  type FacialAestheticsOptions,
  type RunFacialAestheticsOptions,
  type RunFacialAestheticsResult,
} from './facial-aesthetics.js';
export { installCloudRoute, CLOUD_URL, type CloudRoute, type CloudRouteOptions } from './cloud-route.js';
export {
  CLOUD_CODE_OF,
  COMPAT_CODES,
  COMPAT_STATUS,
  envelopeFromError,
  errorEnvelope,
  successEnvelope,
  type CompatCode,
  type FacialAestheticsEnvelope,
} from './envelope.js';
export { SERVER_CODES, serverErrorEnvelope, type ServerCode } from './server-codes.js';
export { parseFacialAestheticsRequest, type FacialAestheticsRequest, type ParsedParams } from './params.js';
export { parseEditField, parseEditFields, MAX_EDIT_FIELDS } from './edit-fields.js';
export { checkCloudImage, checkCloudUpload, CLOUD_LIMITS, type CheckedImage } from './checks.js';
export { FaceReshapeError, isFaceReshapeError, type FaceReshapeErrorCode } from '../errors.js';
export { normalizeEdits, type Edit } from '../shapes/edits.js';
