import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface ManifestRequest {
  fileId: Uint8Array<ArrayBuffer>
}

export namespace ManifestRequest {
  let _codec: Codec<ManifestRequest>

  export const codec = (): Codec<ManifestRequest> => {
    if (_codec == null) {
      _codec = message<ManifestRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.fileId != null && obj.fileId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.fileId)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          fileId: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.fileId = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.fileId`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ManifestRequestFileIdFieldEvent {
    field: '$.fileId'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ManifestRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ManifestRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ManifestRequest>): ManifestRequest {
    return decodeMessage(buf, ManifestRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ManifestRequest>): Generator<ManifestRequestFileIdFieldEvent> {
    return streamMessage(buf, ManifestRequest.codec(), opts)
  }
}

export interface ManifestResponse {
  status: ManifestResponse.Status
  manifest: Uint8Array<ArrayBuffer>
}

export namespace ManifestResponse {
  export enum Status {
    OK = 'OK',
    NOT_FOUND = 'NOT_FOUND'
  }

  enum __StatusValues {
    OK = 0,
    NOT_FOUND = 1
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<ManifestResponse>

  export const codec = (): Codec<ManifestResponse> => {
    if (_codec == null) {
      _codec = message<ManifestResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          ManifestResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.manifest != null && obj.manifest.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.manifest)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.OK,
          manifest: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = ManifestResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.manifest = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: ManifestResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.manifest`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ManifestResponseStatusFieldEvent {
    field: '$.status'
    value: ManifestResponse.Status
  }

  export interface ManifestResponseManifestFieldEvent {
    field: '$.manifest'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ManifestResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ManifestResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ManifestResponse>): ManifestResponse {
    return decodeMessage(buf, ManifestResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ManifestResponse>): Generator<ManifestResponseStatusFieldEvent | ManifestResponseManifestFieldEvent> {
    return streamMessage(buf, ManifestResponse.codec(), opts)
  }
}

export interface HaveRequest {
  fileId: Uint8Array<ArrayBuffer>
}

export namespace HaveRequest {
  let _codec: Codec<HaveRequest>

  export const codec = (): Codec<HaveRequest> => {
    if (_codec == null) {
      _codec = message<HaveRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.fileId != null && obj.fileId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.fileId)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          fileId: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.fileId = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.fileId`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface HaveRequestFileIdFieldEvent {
    field: '$.fileId'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<HaveRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, HaveRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HaveRequest>): HaveRequest {
    return decodeMessage(buf, HaveRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HaveRequest>): Generator<HaveRequestFileIdFieldEvent> {
    return streamMessage(buf, HaveRequest.codec(), opts)
  }
}

export interface Have {
  status: Have.Status
  chunkCount: number
  bitfield: Uint8Array<ArrayBuffer>
  added: number[]
  peers: PeerHint[]
}

export namespace Have {
  export enum Status {
    OK = 'OK',
    NOT_FOUND = 'NOT_FOUND'
  }

  enum __StatusValues {
    OK = 0,
    NOT_FOUND = 1
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<Have>

  export const codec = (): Codec<Have> => {
    if (_codec == null) {
      _codec = message<Have>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          Have.Status.codec().encode(obj.status, w)
        }

        if ((obj.chunkCount != null && obj.chunkCount !== 0)) {
          w.uint32(16)
          w.uint32(obj.chunkCount)
        }

        if ((obj.bitfield != null && obj.bitfield.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.bitfield)
        }

        if (obj.added != null && obj.added.length > 0) {
          for (const value of obj.added) {
            w.uint32(32)
            w.uint32(value)
          }
        }

        if (obj.peers != null && obj.peers.length > 0) {
          for (const value of obj.peers) {
            w.uint32(42)
            PeerHint.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.OK,
          chunkCount: 0,
          bitfield: uint8ArrayAlloc(0),
          added: [],
          peers: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = Have.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.chunkCount = reader.uint32()
              break
            }
            case 3: {
              obj.bitfield = reader.bytes()
              break
            }
            case 4: {
              if (opts.limits?.added != null && obj.added.length === opts.limits.added) {
                throw new MaxLengthError('Decode error - repeated field "added" had too many elements')
              }

              obj.added.push(reader.uint32())
              break
            }
            case 5: {
              if (opts.limits?.peers != null && obj.peers.length === opts.limits.peers) {
                throw new MaxLengthError('Decode error - repeated field "peers" had too many elements')
              }

              obj.peers.push(PeerHint.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.peers$
              }))
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          added: 0,
          peers: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: Have.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.chunkCount`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.bitfield`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              if (opts.limits?.added != null && obj.added === opts.limits.added) {
                throw new MaxLengthError('Streaming decode error - repeated field "added" had too many elements')
              }

              yield {
                field: `${prefix}.added[]`,
                index: obj.added,
                value: reader.uint32()
              }

              obj.added++

              break
            }
            case 5: {
              if (opts.limits?.peers != null && obj.peers === opts.limits.peers) {
                throw new MaxLengthError('Streaming decode error - repeated field "peers" had too many elements')
              }

              for (const evt of PeerHint.codec().stream(reader, reader.uint32(), `${prefix}.peers[]`, {
                limits: opts.limits?.peers$
              })) {
                yield {
                  ...evt,
                  index: obj.peers
                }
              }

              obj.peers++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface HaveStatusFieldEvent {
    field: '$.status'
    value: Have.Status
  }

  export interface HaveChunkCountFieldEvent {
    field: '$.chunkCount'
    value: number
  }

  export interface HaveBitfieldFieldEvent {
    field: '$.bitfield'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HaveAddedFieldEvent {
    field: '$.added[]'
    index: number
    value: number
  }

  export interface HavePeersPeerIdFieldEvent {
    field: '$.peers[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface HavePeersAddrsFieldEvent {
    field: '$.peers[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Have>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Have.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Have>): Have {
    return decodeMessage(buf, Have.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Have>): Generator<HaveStatusFieldEvent | HaveChunkCountFieldEvent | HaveBitfieldFieldEvent | HaveAddedFieldEvent | HavePeersPeerIdFieldEvent | HavePeersAddrsFieldEvent> {
    return streamMessage(buf, Have.codec(), opts)
  }
}

export interface PeerHint {
  peerId: Uint8Array<ArrayBuffer>
  addrs: Uint8Array<ArrayBuffer>[]
}

export namespace PeerHint {
  let _codec: Codec<PeerHint>

  export const codec = (): Codec<PeerHint> => {
    if (_codec == null) {
      _codec = message<PeerHint>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerId != null && obj.peerId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peerId)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peerId: uint8ArrayAlloc(0),
          addrs: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peerId = reader.bytes()
              break
            }
            case 2: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.bytes())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          addrs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.peerId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.bytes()
              }

              obj.addrs++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PeerHintPeerIdFieldEvent {
    field: '$.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PeerHintAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<PeerHint>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PeerHint.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PeerHint>): PeerHint {
    return decodeMessage(buf, PeerHint.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PeerHint>): Generator<PeerHintPeerIdFieldEvent | PeerHintAddrsFieldEvent> {
    return streamMessage(buf, PeerHint.codec(), opts)
  }
}

export interface ChunksOpen {
  fileId: Uint8Array<ArrayBuffer>
}

export namespace ChunksOpen {
  let _codec: Codec<ChunksOpen>

  export const codec = (): Codec<ChunksOpen> => {
    if (_codec == null) {
      _codec = message<ChunksOpen>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.fileId != null && obj.fileId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.fileId)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          fileId: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.fileId = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.fileId`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ChunksOpenFileIdFieldEvent {
    field: '$.fileId'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ChunksOpen>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ChunksOpen.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChunksOpen>): ChunksOpen {
    return decodeMessage(buf, ChunksOpen.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChunksOpen>): Generator<ChunksOpenFileIdFieldEvent> {
    return streamMessage(buf, ChunksOpen.codec(), opts)
  }
}

export interface ChunkRequest {
  kind: ChunkRequest.Kind
  index: number
  urgent: boolean
}

export namespace ChunkRequest {
  export enum Kind {
    GET = 'GET',
    CANCEL = 'CANCEL'
  }

  enum __KindValues {
    GET = 0,
    CANCEL = 1
  }

  export namespace Kind {
    export const codec = (): Codec<Kind> => {
      return enumeration<Kind>(__KindValues)
    }
  }

  let _codec: Codec<ChunkRequest>

  export const codec = (): Codec<ChunkRequest> => {
    if (_codec == null) {
      _codec = message<ChunkRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(8)
          ChunkRequest.Kind.codec().encode(obj.kind, w)
        }

        if ((obj.index != null && obj.index !== 0)) {
          w.uint32(16)
          w.uint32(obj.index)
        }

        if ((obj.urgent != null && obj.urgent !== false)) {
          w.uint32(24)
          w.bool(obj.urgent)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: Kind.GET,
          index: 0,
          urgent: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = ChunkRequest.Kind.codec().decode(reader)
              break
            }
            case 2: {
              obj.index = reader.uint32()
              break
            }
            case 3: {
              obj.urgent = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.kind`,
                value: ChunkRequest.Kind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.index`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.urgent`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ChunkRequestKindFieldEvent {
    field: '$.kind'
    value: ChunkRequest.Kind
  }

  export interface ChunkRequestIndexFieldEvent {
    field: '$.index'
    value: number
  }

  export interface ChunkRequestUrgentFieldEvent {
    field: '$.urgent'
    value: boolean
  }

  export function encode (obj: Partial<ChunkRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ChunkRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChunkRequest>): ChunkRequest {
    return decodeMessage(buf, ChunkRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChunkRequest>): Generator<ChunkRequestKindFieldEvent | ChunkRequestIndexFieldEvent | ChunkRequestUrgentFieldEvent> {
    return streamMessage(buf, ChunkRequest.codec(), opts)
  }
}

export interface ChunkResponse {
  status: ChunkResponse.Status
  index: number
  offset: number
  length: number
  last: boolean
}

export namespace ChunkResponse {
  export enum Status {
    DATA = 'DATA',
    NOT_FOUND = 'NOT_FOUND',
    BUSY = 'BUSY',
    ERROR = 'ERROR',
    CANCELLED = 'CANCELLED'
  }

  enum __StatusValues {
    DATA = 0,
    NOT_FOUND = 1,
    BUSY = 2,
    ERROR = 3,
    CANCELLED = 4
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<ChunkResponse>

  export const codec = (): Codec<ChunkResponse> => {
    if (_codec == null) {
      _codec = message<ChunkResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          ChunkResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.index != null && obj.index !== 0)) {
          w.uint32(16)
          w.uint32(obj.index)
        }

        if ((obj.offset != null && obj.offset !== 0)) {
          w.uint32(24)
          w.uint32(obj.offset)
        }

        if ((obj.length != null && obj.length !== 0)) {
          w.uint32(32)
          w.uint32(obj.length)
        }

        if ((obj.last != null && obj.last !== false)) {
          w.uint32(40)
          w.bool(obj.last)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.DATA,
          index: 0,
          offset: 0,
          length: 0,
          last: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = ChunkResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.index = reader.uint32()
              break
            }
            case 3: {
              obj.offset = reader.uint32()
              break
            }
            case 4: {
              obj.length = reader.uint32()
              break
            }
            case 5: {
              obj.last = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: ChunkResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.index`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.offset`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.length`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.last`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ChunkResponseStatusFieldEvent {
    field: '$.status'
    value: ChunkResponse.Status
  }

  export interface ChunkResponseIndexFieldEvent {
    field: '$.index'
    value: number
  }

  export interface ChunkResponseOffsetFieldEvent {
    field: '$.offset'
    value: number
  }

  export interface ChunkResponseLengthFieldEvent {
    field: '$.length'
    value: number
  }

  export interface ChunkResponseLastFieldEvent {
    field: '$.last'
    value: boolean
  }

  export function encode (obj: Partial<ChunkResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ChunkResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChunkResponse>): ChunkResponse {
    return decodeMessage(buf, ChunkResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChunkResponse>): Generator<ChunkResponseStatusFieldEvent | ChunkResponseIndexFieldEvent | ChunkResponseOffsetFieldEvent | ChunkResponseLengthFieldEvent | ChunkResponseLastFieldEvent> {
    return streamMessage(buf, ChunkResponse.codec(), opts)
  }
}

export interface StoreOffer {
  kind: StoreOffer.Kind
  fileId: Uint8Array<ArrayBuffer>
  manifest: Uint8Array<ArrayBuffer>
  records: number
}

export namespace StoreOffer {
  export enum Kind {
    PUSH = 'PUSH',
    QUERY = 'QUERY',
    UPDATE = 'UPDATE'
  }

  enum __KindValues {
    PUSH = 0,
    QUERY = 1,
    UPDATE = 2
  }

  export namespace Kind {
    export const codec = (): Codec<Kind> => {
      return enumeration<Kind>(__KindValues)
    }
  }

  let _codec: Codec<StoreOffer>

  export const codec = (): Codec<StoreOffer> => {
    if (_codec == null) {
      _codec = message<StoreOffer>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(8)
          StoreOffer.Kind.codec().encode(obj.kind, w)
        }

        if ((obj.fileId != null && obj.fileId.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.fileId)
        }

        if ((obj.manifest != null && obj.manifest.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.manifest)
        }

        if ((obj.records != null && obj.records !== 0)) {
          w.uint32(32)
          w.uint32(obj.records)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: Kind.PUSH,
          fileId: uint8ArrayAlloc(0),
          manifest: uint8ArrayAlloc(0),
          records: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = StoreOffer.Kind.codec().decode(reader)
              break
            }
            case 2: {
              obj.fileId = reader.bytes()
              break
            }
            case 3: {
              obj.manifest = reader.bytes()
              break
            }
            case 4: {
              obj.records = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.kind`,
                value: StoreOffer.Kind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.fileId`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.manifest`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.records`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface StoreOfferKindFieldEvent {
    field: '$.kind'
    value: StoreOffer.Kind
  }

  export interface StoreOfferFileIdFieldEvent {
    field: '$.fileId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface StoreOfferManifestFieldEvent {
    field: '$.manifest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface StoreOfferRecordsFieldEvent {
    field: '$.records'
    value: number
  }

  export function encode (obj: Partial<StoreOffer>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StoreOffer.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreOffer>): StoreOffer {
    return decodeMessage(buf, StoreOffer.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreOffer>): Generator<StoreOfferKindFieldEvent | StoreOfferFileIdFieldEvent | StoreOfferManifestFieldEvent | StoreOfferRecordsFieldEvent> {
    return streamMessage(buf, StoreOffer.codec(), opts)
  }
}

export interface StoreReply {
  status: StoreReply.Status
  refusal: StoreRefusal
  message: string
  accepting: boolean
  freeBytes: bigint
  uploaderFreeBytes: bigint
  have: Uint8Array<ArrayBuffer>
  version: bigint
}

export namespace StoreReply {
  export enum Status {
    ACCEPT = 'ACCEPT',
    REFUSE = 'REFUSE'
  }

  enum __StatusValues {
    ACCEPT = 0,
    REFUSE = 1
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<StoreReply>

  export const codec = (): Codec<StoreReply> => {
    if (_codec == null) {
      _codec = message<StoreReply>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          StoreReply.Status.codec().encode(obj.status, w)
        }

        if (obj.refusal != null && __StoreRefusalValues[obj.refusal] !== 0) {
          w.uint32(16)
          StoreRefusal.codec().encode(obj.refusal, w)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(26)
          w.string(obj.message)
        }

        if ((obj.accepting != null && obj.accepting !== false)) {
          w.uint32(32)
          w.bool(obj.accepting)
        }

        if ((obj.freeBytes != null && obj.freeBytes !== 0n)) {
          w.uint32(40)
          w.uint64(obj.freeBytes)
        }

        if ((obj.uploaderFreeBytes != null && obj.uploaderFreeBytes !== 0n)) {
          w.uint32(48)
          w.uint64(obj.uploaderFreeBytes)
        }

        if ((obj.have != null && obj.have.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.have)
        }

        if ((obj.version != null && obj.version !== 0n)) {
          w.uint32(64)
          w.uint64(obj.version)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.ACCEPT,
          refusal: StoreRefusal.NONE,
          message: '',
          accepting: false,
          freeBytes: 0n,
          uploaderFreeBytes: 0n,
          have: uint8ArrayAlloc(0),
          version: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = StoreReply.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.refusal = StoreRefusal.codec().decode(reader)
              break
            }
            case 3: {
              obj.message = reader.string()
              break
            }
            case 4: {
              obj.accepting = reader.bool()
              break
            }
            case 5: {
              obj.freeBytes = reader.uint64()
              break
            }
            case 6: {
              obj.uploaderFreeBytes = reader.uint64()
              break
            }
            case 7: {
              obj.have = reader.bytes()
              break
            }
            case 8: {
              obj.version = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: StoreReply.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.refusal`,
                value: StoreRefusal.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.accepting`,
                value: reader.bool()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.freeBytes`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.uploaderFreeBytes`,
                value: reader.uint64()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.have`,
                value: reader.bytes()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface StoreReplyStatusFieldEvent {
    field: '$.status'
    value: StoreReply.Status
  }

  export interface StoreReplyRefusalFieldEvent {
    field: '$.refusal'
    value: StoreRefusal
  }

  export interface StoreReplyMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export interface StoreReplyAcceptingFieldEvent {
    field: '$.accepting'
    value: boolean
  }

  export interface StoreReplyFreeBytesFieldEvent {
    field: '$.freeBytes'
    value: bigint
  }

  export interface StoreReplyUploaderFreeBytesFieldEvent {
    field: '$.uploaderFreeBytes'
    value: bigint
  }

  export interface StoreReplyHaveFieldEvent {
    field: '$.have'
    value: Uint8Array<ArrayBuffer>
  }

  export interface StoreReplyVersionFieldEvent {
    field: '$.version'
    value: bigint
  }

  export function encode (obj: Partial<StoreReply>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StoreReply.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreReply>): StoreReply {
    return decodeMessage(buf, StoreReply.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreReply>): Generator<StoreReplyStatusFieldEvent | StoreReplyRefusalFieldEvent | StoreReplyMessageFieldEvent | StoreReplyAcceptingFieldEvent | StoreReplyFreeBytesFieldEvent | StoreReplyUploaderFreeBytesFieldEvent | StoreReplyHaveFieldEvent | StoreReplyVersionFieldEvent> {
    return streamMessage(buf, StoreReply.codec(), opts)
  }
}

export enum StoreRefusal {
  NONE = 'NONE',
  NOT_ACCEPTING = 'NOT_ACCEPTING',
  QUOTA = 'QUOTA',
  CORRUPT = 'CORRUPT',
  NOT_HOLDER = 'NOT_HOLDER',
  INVALID = 'INVALID',
  UNREACHED = 'UNREACHED',
  SKIPPED = 'SKIPPED'
}

enum __StoreRefusalValues {
  NONE = 0,
  NOT_ACCEPTING = 1,
  QUOTA = 2,
  CORRUPT = 3,
  NOT_HOLDER = 4,
  INVALID = 5,
  UNREACHED = 6,
  SKIPPED = 7
}

export namespace StoreRefusal {
  export const codec = (): Codec<StoreRefusal> => {
    return enumeration<StoreRefusal>(__StoreRefusalValues)
  }
}

export interface StoreChunk {
  index: number
  length: number
  forward: string[]
}

export namespace StoreChunk {
  let _codec: Codec<StoreChunk>

  export const codec = (): Codec<StoreChunk> => {
    if (_codec == null) {
      _codec = message<StoreChunk>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.index != null && obj.index !== 0)) {
          w.uint32(8)
          w.uint32(obj.index)
        }

        if ((obj.length != null && obj.length !== 0)) {
          w.uint32(16)
          w.uint32(obj.length)
        }

        if (obj.forward != null && obj.forward.length > 0) {
          for (const value of obj.forward) {
            w.uint32(26)
            w.string(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          index: 0,
          length: 0,
          forward: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.index = reader.uint32()
              break
            }
            case 2: {
              obj.length = reader.uint32()
              break
            }
            case 3: {
              if (opts.limits?.forward != null && obj.forward.length === opts.limits.forward) {
                throw new MaxLengthError('Decode error - repeated field "forward" had too many elements')
              }

              obj.forward.push(reader.string())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          forward: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.index`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.length`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              if (opts.limits?.forward != null && obj.forward === opts.limits.forward) {
                throw new MaxLengthError('Streaming decode error - repeated field "forward" had too many elements')
              }

              yield {
                field: `${prefix}.forward[]`,
                index: obj.forward,
                value: reader.string()
              }

              obj.forward++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface StoreChunkIndexFieldEvent {
    field: '$.index'
    value: number
  }

  export interface StoreChunkLengthFieldEvent {
    field: '$.length'
    value: number
  }

  export interface StoreChunkForwardFieldEvent {
    field: '$.forward[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<StoreChunk>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StoreChunk.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreChunk>): StoreChunk {
    return decodeMessage(buf, StoreChunk.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreChunk>): Generator<StoreChunkIndexFieldEvent | StoreChunkLengthFieldEvent | StoreChunkForwardFieldEvent> {
    return streamMessage(buf, StoreChunk.codec(), opts)
  }
}

export interface StoreAck {
  index: number
  holder: string
  refusal: StoreRefusal
  message: string
}

export namespace StoreAck {
  let _codec: Codec<StoreAck>

  export const codec = (): Codec<StoreAck> => {
    if (_codec == null) {
      _codec = message<StoreAck>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.index != null && obj.index !== 0)) {
          w.uint32(8)
          w.uint32(obj.index)
        }

        if ((obj.holder != null && obj.holder !== '')) {
          w.uint32(18)
          w.string(obj.holder)
        }

        if (obj.refusal != null && __StoreRefusalValues[obj.refusal] !== 0) {
          w.uint32(24)
          StoreRefusal.codec().encode(obj.refusal, w)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(34)
          w.string(obj.message)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          index: 0,
          holder: '',
          refusal: StoreRefusal.NONE,
          message: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.index = reader.uint32()
              break
            }
            case 2: {
              obj.holder = reader.string()
              break
            }
            case 3: {
              obj.refusal = StoreRefusal.codec().decode(reader)
              break
            }
            case 4: {
              obj.message = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.index`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.holder`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.refusal`,
                value: StoreRefusal.codec().decode(reader)
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface StoreAckIndexFieldEvent {
    field: '$.index'
    value: number
  }

  export interface StoreAckHolderFieldEvent {
    field: '$.holder'
    value: string
  }

  export interface StoreAckRefusalFieldEvent {
    field: '$.refusal'
    value: StoreRefusal
  }

  export interface StoreAckMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export function encode (obj: Partial<StoreAck>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StoreAck.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreAck>): StoreAck {
    return decodeMessage(buf, StoreAck.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreAck>): Generator<StoreAckIndexFieldEvent | StoreAckHolderFieldEvent | StoreAckRefusalFieldEvent | StoreAckMessageFieldEvent> {
    return streamMessage(buf, StoreAck.codec(), opts)
  }
}

export interface StoreRelease {
  release: Uint8Array<ArrayBuffer>
}

export namespace StoreRelease {
  let _codec: Codec<StoreRelease>

  export const codec = (): Codec<StoreRelease> => {
    if (_codec == null) {
      _codec = message<StoreRelease>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.release != null && obj.release.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.release)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          release: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.release = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.release`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface StoreReleaseReleaseFieldEvent {
    field: '$.release'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<StoreRelease>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StoreRelease.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreRelease>): StoreRelease {
    return decodeMessage(buf, StoreRelease.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreRelease>): Generator<StoreReleaseReleaseFieldEvent> {
    return streamMessage(buf, StoreRelease.codec(), opts)
  }
}

export interface StoreReleaseReply {
  released: boolean
  message: string
  dropped: number
}

export namespace StoreReleaseReply {
  let _codec: Codec<StoreReleaseReply>

  export const codec = (): Codec<StoreReleaseReply> => {
    if (_codec == null) {
      _codec = message<StoreReleaseReply>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.released != null && obj.released !== false)) {
          w.uint32(8)
          w.bool(obj.released)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(18)
          w.string(obj.message)
        }

        if ((obj.dropped != null && obj.dropped !== 0)) {
          w.uint32(24)
          w.uint32(obj.dropped)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          released: false,
          message: '',
          dropped: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.released = reader.bool()
              break
            }
            case 2: {
              obj.message = reader.string()
              break
            }
            case 3: {
              obj.dropped = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.released`,
                value: reader.bool()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.dropped`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface StoreReleaseReplyReleasedFieldEvent {
    field: '$.released'
    value: boolean
  }

  export interface StoreReleaseReplyMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export interface StoreReleaseReplyDroppedFieldEvent {
    field: '$.dropped'
    value: number
  }

  export function encode (obj: Partial<StoreReleaseReply>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StoreReleaseReply.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreReleaseReply>): StoreReleaseReply {
    return decodeMessage(buf, StoreReleaseReply.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreReleaseReply>): Generator<StoreReleaseReplyReleasedFieldEvent | StoreReleaseReplyMessageFieldEvent | StoreReleaseReplyDroppedFieldEvent> {
    return streamMessage(buf, StoreReleaseReply.codec(), opts)
  }
}
