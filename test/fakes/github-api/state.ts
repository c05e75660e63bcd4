import type { GitReader } from './git.ts';

export interface FakeUser {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}

export interface FakeRepo {
  owner: string;
  name: string;
  id: number;
  git: GitReader;
  private: boolean;
  /** The GitHub App installation that covers it (null: the App is not installed on it). */
  installationId: number | null;
  /** Pull requests a commit belongs to, by SHA. */
  pulls: Map<string, FakePull[]>;
}

export interface FakePull {
  number: number;
  title: string;
  state: 'open' | 'closed';
  merged: boolean;
  user: string;
}

export interface FakeDeployment {
  id: number;
  repo: string;
  sha: string;
  ref: string;
  task: string;
  payload: unknown;
  environment: string;
  original_environment: string;
  description: string | null;
  creator: FakeUser;
  created_at: string;
  updated_at: string;
  transient_environment: boolean;
  production_environment: boolean;
  statuses: FakeDeploymentStatus[];
}

export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';

export interface FakeDeploymentStatus {
  id: number;
  state: DeploymentState;
  description: string;
  environment: string;
  target_url: string;
  log_url: string;
  environment_url: string;
  creator: FakeUser;
  created_at: string;
  updated_at: string;
}

export type CommitState = 'error' | 'failure' | 'pending' | 'success';

export interface FakeCommitStatus {
  id: number;
  repo: string;
  sha: string;
  state: CommitState;
  context: string;
  description: string | null;
  target_url: string | null;
  creator: FakeUser;
  created_at: string;
  updated_at: string;
}

export interface FakeCheckRun {
  id: number;
  repo: string;
  head_sha: string;
  name: string;
  status: 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
  conclusion: 'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | 'stale' | null;
  started_at: string;
  completed_at: string | null;
  app: { slug: string };
}

/** A token the fake accepts, with whom it acts for and until when (null: no expiry). */
export interface FakeToken {
  token: string;
  actor: FakeUser;
  expiresAt: number | null;
  installationId: number | null;
}

/** Every request in arrival order. */
export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The bearer credential's kind: `token`, `installation` (an App installation token), `jwt`, or `none`. */
  auth: 'token' | 'installation' | 'jwt' | 'none' | 'bad';
  status: number;
  body: unknown;
  at: number;
}
