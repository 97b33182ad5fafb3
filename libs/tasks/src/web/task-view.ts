/**
 * The JSON the REST API answers with: the public contract's views (shared
 * with @stepwise/client), free of Nest and Swagger. Times are ISO 8601
 * strings, or null when the moment has not come.
 */
export type {
  ChildTaskView,
  ErrorBody,
  FieldIssueView,
  HeldBackView,
  ResultFileView,
  StepView,
  TaskErrorView,
  TaskLinks,
  TaskListView,
  TaskResultView,
  TaskView,
} from '@stepwise/contract';
