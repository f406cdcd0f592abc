/** Where an ExecuteCommand session's stream URL points: the client's WebSocket to Berth, `<SSM_PATH><sessionId>`. */
export const SSM_PATH = '/_berth/ssm/';
