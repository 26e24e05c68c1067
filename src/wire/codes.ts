/** Message type bytes, split by direction (PostgreSQL protocol 3.0, "Message Formats"). */
const code = (c: string): number => c.charCodeAt(0);

export const FrontendCode = {
  Bind: code('B'),
  Close: code('C'),
  CopyData: code('d'),
  CopyDone: code('c'),
  CopyFail: code('f'),
  Describe: code('D'),
  Execute: code('E'),
  Flush: code('H'),
  FunctionCall: code('F'),
  Parse: code('P'),
  /** PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse share this byte. */
  PasswordMessage: code('p'),
  Query: code('Q'),
  Sync: code('S'),
  Terminate: code('X'),
} as const;

export const BackendCode = {
  Authentication: code('R'),
  BackendKeyData: code('K'),
  BindComplete: code('2'),
  CloseComplete: code('3'),
  CommandComplete: code('C'),
  CopyData: code('d'),
  CopyDone: code('c'),
  CopyInResponse: code('G'),
  CopyOutResponse: code('H'),
  CopyBothResponse: code('W'),
  DataRow: code('D'),
  EmptyQueryResponse: code('I'),
  ErrorResponse: code('E'),
  FunctionCallResponse: code('V'),
  NegotiateProtocolVersion: code('v'),
  NoData: code('n'),
  NoticeResponse: code('N'),
  NotificationResponse: code('A'),
  ParameterDescription: code('t'),
  ParameterStatus: code('S'),
  ParseComplete: code('1'),
  PortalSuspended: code('s'),
  ReadyForQuery: code('Z'),
  RowDescription: code('T'),
} as const;

/** Request codes of the untyped first message of a connection. */
export const StartupCode = {
  ProtocolVersion3: 196608,
  CancelRequest: 80877102,
  SSLRequest: 80877103,
  GSSENCRequest: 80877104,
} as const;

export const AuthenticationCode = {
  Ok: 0,
  CleartextPassword: 3,
  MD5Password: 5,
  SASL: 10,
  SASLContinue: 11,
  SASLFinal: 12,
} as const;

/** ReadyForQuery transaction status: idle, in a transaction block, in a failed transaction block. */
export type TransactionStatus = 'I' | 'T' | 'E';

/** Error and notice field identifiers. */
export const ErrorField = {
  Severity: 'S',
  SeverityNonLocalized: 'V',
  Code: 'C',
  Message: 'M',
  Detail: 'D',
  Hint: 'H',
  Position: 'P',
  InternalPosition: 'p',
  InternalQuery: 'q',
  Where: 'W',
  Schema: 's',
  Table: 't',
  Column: 'c',
  DataType: 'd',
  Constraint: 'n',
  File: 'F',
  Line: 'L',
  Routine: 'R',
} as const;
